/// Which keys look secret (cli.md v1.1, "Trust"): a key is split into words (camelCase,
/// kebab-case, snake_case, dots) and masked when a word is one of ``words``, or the words
/// include one of ``pairs``. Whole words, never substrings: `primaryKey`, `keyspace` and
/// `sslKeyFile` are not secret; `extraOptions.POSTGRESQL.pwd` is.
public enum SecretKeys {
    /// A word that alone makes a key secret. `passphrase` and the joined pairs
    /// (`apikey`, ...) are connsync's additions to the contract's list.
    public static let words: Set<String> = [
        "password", "passwd", "pwd", "pass", "secret", "token", "credential", "credentials", "passphrase",
        "apikey", "privatekey", "accesskey", "secretkey",
    ]

    /// Two words that together make a key secret.
    public static let pairs: [(String, String)] = [("private", "key"), ("api", "key"), ("access", "key"), ("secret", "key")]

    /// Whether `key` names a secret. Called for every key of every view: ASCII keys are
    /// scanned in place, word by word, without allocating.
    public static func looksSecret(_ key: String) -> Bool {
        var key = key
        if let answer = key.withUTF8({ bytes in bytes.allSatisfy { $0 < 0x80 } ? looksSecret(ascii: bytes) : nil }) {
            return answer
        }
        let split = self.split(key)
        if split.contains(where: words.contains) { return true }
        return pairs.contains { split.contains($0.0) && split.contains($0.1) }
    }

    private static func looksSecret(ascii bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var flags: UInt8 = 0  // 1 private, 2 key, 4 api, 8 access, 16 secret
        var start = 0
        var index = 0
        let count = bytes.count
        func isLower(_ byte: UInt8) -> Bool { byte >= 97 && byte <= 122 }
        func isUpper(_ byte: UInt8) -> Bool { byte >= 65 && byte <= 90 }
        func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
        while index <= count {
            var boundary = index == count
            var skip = false
            if !boundary {
                let byte = bytes[index]
                if !(isLower(byte) || isUpper(byte) || isDigit(byte)) {
                    boundary = true
                    skip = true
                } else if isUpper(byte), index > start {
                    let last = bytes[index - 1]
                    let nextIsLower = index + 1 < count && isLower(bytes[index + 1])
                    if isLower(last) || isDigit(last) || (isUpper(last) && nextIsLower) { boundary = true }
                }
            }
            if boundary {
                if index > start {
                    switch word(bytes, start, index) {
                    case .secret: return true
                    case .part(let flag): flags |= flag
                    case .none: break
                    }
                }
                start = skip ? index + 1 : index
            }
            index += 1
        }
        // private+key, api+key, access+key (secret alone is already a word).
        return flags & 2 != 0 && flags & (1 | 4 | 8) != 0
    }

    private enum WordKind {
        case secret
        case part(UInt8)
        case none
    }

    /// One word of the key, compared case-insensitively with the lists.
    private static func word(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> WordKind {
        func equals(_ word: StaticString) -> Bool {
            guard word.utf8CodeUnitCount == end - start else { return false }
            for offset in 0..<(end - start) where bytes[start + offset] | 0x20 != word.utf8Start[offset] { return false }
            return true
        }
        switch end - start {
        case 3:
            if equals("pwd") { return .secret }
            if equals("key") { return .part(2) }
            if equals("api") { return .part(4) }
        case 4: if equals("pass") { return .secret }
        case 5: if equals("token") { return .secret }
        case 6:
            if equals("passwd") || equals("secret") || equals("apikey") { return .secret }
            if equals("access") { return .part(8) }
        case 7: if equals("private") { return .part(1) }
        case 8: if equals("password") { return .secret }
        case 9: if equals("accesskey") || equals("secretkey") { return .secret }
        case 10: if equals("credential") || equals("passphrase") || equals("privatekey") { return .secret }
        case 11: if equals("credentials") { return .secret }
        default: break
        }
        return .none
    }

    /// The lower-cased words of a key: `sslKeyFile` → ssl, key, file; `HTTPProxy` → http, proxy;
    /// `tunnel-private-key` → tunnel, private, key; `POSTGRESQL.pwd` → postgresql, pwd.
    public static func split(_ key: String) -> [String] {
        var result: [String] = []
        var current: [Character] = []
        let characters = Array(key)
        func flush() {
            if !current.isEmpty { result.append(String(current).lowercased()) }
            current = []
        }
        for (index, character) in characters.enumerated() {
            guard character.isLetter || character.isNumber else {
                flush()
                continue
            }
            if character.isUppercase, let last = current.last {
                let nextIsLower = index + 1 < characters.count && characters[index + 1].isLowercase
                // aB → a|B; ABc → A|Bc (an acronym ends where a capitalised word starts).
                if last.isLowercase || last.isNumber || (last.isUppercase && nextIsLower) { flush() }
            }
            current.append(character)
        }
        flush()
        return result
    }

    /// Whether `text` holds a URL with user info (`scheme://user:pass@host`) anywhere, which is
    /// masked. Every `://` is looked at, and the user info runs to the next whitespace (a
    /// password may hold `#` or `/`): a `@` there counts, erring on the side of masking.
    public static func hasURLUserinfo(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            let count = bytes.count
            var index = 0
            // Each `://`, then its authority up to the next ASCII whitespace.
            while index + 3 <= count {
                if bytes[index] == 0x3A, bytes[index + 1] == 0x2F, bytes[index + 2] == 0x2F {
                    var cursor = index + 3
                    // A space right after a non-ASCII byte may belong to one Character with it
                    // (a prepend mark): it does not end the authority (masking more, never less).
                    while cursor < count, !isSpace(bytes[cursor]) || (cursor > index + 3 && bytes[cursor - 1] >= 0x80) {
                        if bytes[cursor] == 0x40 { return true }
                        cursor += 1
                    }
                    index += 3
                    continue
                }
                index += 1
            }
            return false
        }
    }

    /// ASCII whitespace. Other whitespace does not end the authority: a wider authority
    /// masks more, never less.
    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
    }
}
