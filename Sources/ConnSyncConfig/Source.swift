import ConnSyncModel
import Foundation

/// One YAML file of a source.
public struct SourceFile: Sendable, Hashable {
    /// Relative to the source root, `/`-separated: `connections/orders.yaml`.
    public var path: String
    /// What error locations show: `examples/connections/orders.yaml`, or for a git
    /// source `connections/orders.yaml@3f2a9c1`.
    public var displayPath: String
    public var contents: Data

    public init(path: String, displayPath: String, contents: Data) {
        self.path = path
        self.displayPath = displayPath
        self.contents = contents
    }
}

/// Where desired state comes from: a folder on disk or a commit of a git repository.
public protocol DesiredStateSource: Sendable {
    var info: SourceInfo { get }
    /// Every `*.yaml`/`*.yml` file under the root, recursively, skipping files and folders
    /// whose name starts with `.` and what the root's `.connsyncignore` lists; sorted by path.
    func yamlFiles() throws(SourceError) -> [SourceFile]
    /// A file named by a relative `fromFile` reference, resolved against the folder of `file`.
    func readRelativeFile(_ path: String, from file: SourceFile) throws(SourceError) -> Data
}

/// Why a source cannot be read.
public enum SourceError: Error, Sendable, Hashable, CustomStringConvertible {
    case missingDirectory(String)
    case notADirectory(String)
    case unreadable(path: String, reason: String)
    case git(String)

    public var description: String {
        switch self {
        case .missingDirectory(let path): return "\(path): no such directory (check --dir)"
        case .notADirectory(let path): return "\(path): not a directory (--dir takes the folder that holds the YAML files)"
        case .unreadable(let path, let reason): return "\(path): cannot read: \(reason)"
        case .git(let message): return message
        }
    }
}

/// A plain folder of YAML files (`--dir`).
public struct DirectorySource: DesiredStateSource {
    public let directory: String
    public var info: SourceInfo

    /// - Parameter directory: as the user typed it; error locations are shown relative to it.
    public init(directory: String, info: SourceInfo? = nil) {
        self.directory = directory
        let absolute = URL(fileURLWithPath: directory).standardizedFileURL.path
        self.info = info ?? SourceInfo(kind: .directory, location: absolute)
    }

    private var root: URL { URL(fileURLWithPath: directory).standardizedFileURL }

    func display(_ relative: String) -> String {
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        return base == "." || base.isEmpty ? relative : "\(base)/\(relative)"
    }

    public func yamlFiles() throws(SourceError) -> [SourceFile] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory) else {
            throw .missingDirectory(directory)
        }
        guard isDirectory.boolValue else { throw .notADirectory(directory) }
        var relativePaths: [String] = []
        try collect(root, relative: "", into: &relativePaths)
        let ignoreFile = root.appendingPathComponent(IgnoreRules.fileName).path
        let rules = FileManager.default.contents(atPath: ignoreFile).map { IgnoreRules(text: String(decoding: $0, as: UTF8.self)) } ?? IgnoreRules()
        var files: [SourceFile] = []
        for relative in relativePaths.sorted() where !rules.ignores(relative) {
            let url = root.appendingPathComponent(relative)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw .unreadable(path: display(relative), reason: "permission denied or not a regular file")
            }
            files.append(SourceFile(path: relative, displayPath: display(relative), contents: data))
        }
        return files
    }

    private func collect(_ folder: URL, relative: String, into result: inout [String]) throws(SourceError) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        } catch {
            throw .unreadable(path: display(relative.isEmpty ? "." : relative), reason: "cannot list the folder")
        }
        for name in names where !name.hasPrefix(".") {
            let url = folder.appendingPathComponent(name)
            let path = relative.isEmpty ? name : "\(relative)/\(name)"
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                try collect(url, relative: path, into: &result)
            } else if name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
                result.append(path)
            }
        }
    }

    public func readRelativeFile(_ path: String, from file: SourceFile) throws(SourceError) -> Data {
        let folder = root.appendingPathComponent(file.path).deletingLastPathComponent()
        let url = folder.appendingPathComponent(path).standardizedFileURL
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw .unreadable(path: url.path, reason: "no such file")
        }
        return data
    }
}

/// Resolves secret references into values. The library never reads the process
/// environment itself: the composition root injects it.
public protocol SecretResolver: Sendable {
    func resolve(_ source: SecretSource, in file: SourceFile, from origin: any DesiredStateSource) throws(SecretResolutionError) -> String
}

/// Why a reference did not resolve (never holding a secret value).
public enum SecretResolutionError: Error, Sendable, Hashable, CustomStringConvertible {
    case unsetVariable(String)
    case emptyVariable(String)
    case missingFile(String)
    case literalNotResolvable

    public var description: String {
        switch self {
        case .unsetVariable(let name): return "environment variable \(name) is not set; set it, or check the name"
        case .emptyVariable(let name): return "environment variable \(name) is empty; set it to the secret"
        case .missingFile(let path): return "cannot read secret file \(path); check the path and its permissions"
        case .literalNotResolvable: return "a literal secret needs no resolution"
        }
    }
}

/// `fromEnv` from an injected environment; `fromFile` from the filesystem (absolute) or
/// through the source (relative, e.g. from the same commit). One trailing newline is trimmed.
public struct StandardSecretResolver: SecretResolver {
    public let environment: [String: String]

    public init(environment: [String: String]) {
        self.environment = environment
    }

    public func resolve(_ source: SecretSource, in file: SourceFile, from origin: any DesiredStateSource) throws(SecretResolutionError)
        -> String
    {
        switch source {
        case .environment(let name):
            guard let value = environment[name] else { throw .unsetVariable(name) }
            guard !value.isEmpty else { throw .emptyVariable(name) }
            return value
        case .file(let path):
            let data: Data
            if path.hasPrefix("/") {
                guard let contents = FileManager.default.contents(atPath: path) else { throw .missingFile(path) }
                data = contents
            } else {
                do {
                    data = try origin.readRelativeFile(path, from: file)
                } catch {
                    throw .missingFile(path)
                }
            }
            var text = String(decoding: data, as: UTF8.self)
            // "\r\n" is one Character in Swift: one removeLast() trims either ending.
            if text.hasSuffix("\r\n") || text.hasSuffix("\n") {
                text.removeLast()
            }
            return text
        case .literal:
            throw .literalNotResolvable
        }
    }
}
