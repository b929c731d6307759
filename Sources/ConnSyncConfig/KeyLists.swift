/// The "has a, b and c" messages, generated from the key sets so each list is written once,
/// with a "did you mean" for a key a letter or two away from a known one.
enum KeyLists {
    static let document = ["apiVersion", "kind", "metadata", "spec"]
    static let metadata = ["name", "labels"]
    static let auth = ["token", "username", "password"]
    static let ssl = ["mode", "ca", "cert", "key"]
    /// The keys of a secret reference, `{fromEnv: NAME}` and its kin.
    static let secretReference = ["fromEnv", "fromFile", "fromCommand"]
    /// How messages write the secret references.
    static let secretReferenceForms = "{fromEnv: NAME}, {fromFile: PATH} or {fromCommand: [ARGV...]}"

    /// `a`, `a and b`, `a, b and c`.
    static func listing(_ keys: [String]) -> String {
        guard keys.count > 1 else { return keys.first ?? "" }
        return keys.dropLast().joined(separator: ", ") + " and " + keys[keys.count - 1]
    }

    /// `unknown key 'databseRef'; did you mean `databaseRef`? a Connection spec has ...`
    static func unknownKey(_ key: String, known: [String], owner: String) -> String {
        let suggestion = closest(to: key, in: known).map { "did you mean `\($0)`? " } ?? ""
        return "unknown key '\(key)'; \(suggestion)\(owner) has \(listing(known))"
    }

    /// The known key closest to `key` (case-insensitive edit distance of at most a third of its
    /// length, at least 1), or nil.
    static func closest(to key: String, in known: [String]) -> String? {
        let limit = max(1, min(3, key.count / 3))
        var best: (String, Int)?
        for candidate in known {
            let distance = editDistance(key.lowercased(), candidate.lowercased())
            if distance <= limit, distance < (best?.1 ?? Int.max) { best = (candidate, distance) }
        }
        return best?.0
    }

    static func editDistance(_ lhs: String, _ rhs: String) -> Int {
        let a = Array(lhs)
        let b = Array(rhs)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
