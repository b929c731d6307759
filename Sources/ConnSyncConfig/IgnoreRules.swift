import Foundation

/// `.connsyncignore` at the root of a source: YAML files that are not desired state
/// (CI pipelines, Kubernetes manifests) living next to it. One pattern per line; `#`
/// starts a comment; `dir/` ignores a folder; other patterns are shell globs matched
/// against the path from the source root and against the file name.
public struct IgnoreRules: Sendable, Hashable {
    public static let fileName = ".connsyncignore"

    public var patterns: [String]

    public init(patterns: [String] = []) {
        self.patterns = patterns
    }

    public init(text: String) {
        patterns = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    /// Whether the file at `path` (relative to the source root, `/`-separated) is ignored.
    public func ignores(_ path: String) -> Bool {
        guard !patterns.isEmpty else { return false }
        let name = path.split(separator: "/").last.map(String.init) ?? path
        for raw in patterns {
            var pattern = raw.hasPrefix("/") ? String(raw.dropFirst()) : raw
            if pattern.hasSuffix("/") {
                pattern.removeLast()
                if path == pattern || path.hasPrefix(pattern + "/") { return true }
                // `name/` also matches that folder deeper in the tree.
                if !raw.hasPrefix("/"), path.split(separator: "/").dropLast().contains(where: { $0 == pattern }) { return true }
                continue
            }
            if fnmatch(pattern, path, FNM_PATHNAME) == 0 { return true }
            // An unanchored pattern also matches the file name at any depth.
            if !raw.hasPrefix("/"), fnmatch(pattern, name, 0) == 0 { return true }
        }
        return false
    }
}
