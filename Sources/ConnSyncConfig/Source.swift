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

/// Bounds on what a source may hold (every read is bounded).
public enum SourceLimits {
    public static let maximumTotalBytes = 256 << 20
}

/// Where desired state comes from: a folder on disk or a commit of a git repository.
public protocol DesiredStateSource: Sendable {
    var info: SourceInfo { get }
    /// Every `*.yaml`/`*.yml` file under the root, recursively, skipping files and folders
    /// whose name starts with `.` and what the root's `.connsyncignore` lists; sorted by path.
    func yamlFiles() throws(SourceError) -> [SourceFile]
    /// Where a `fromFile` reference of a document in `file` leads: a relative path is
    /// resolved against the folder of `file`, and symlinks are followed (for a git source,
    /// those stored in the tree). Inside the source: its bytes; elsewhere: the resolved
    /// absolute path, which only a secrets folder may hold (the resolver decides).
    func locateSecretFile(_ path: String, from file: SourceFile) throws(SourceError) -> SecretFileLocation
}

/// Why a source cannot be read.
public enum SourceError: Error, Sendable, Hashable, CustomStringConvertible {
    case missingDirectory(String)
    case notADirectory(String)
    case unreadable(path: String, reason: String)
    case outsideSource(String)
    case tooLarge(String)
    case git(String)

    public var description: String {
        switch self {
        case .missingDirectory(let path): return "\(path): no such directory (check --dir)"
        case .notADirectory(let path): return "\(path): not a directory (--dir takes the folder that holds the YAML files)"
        case .unreadable(let path, let reason): return "\(path): cannot read: \(reason)"
        case .outsideSource(let path): return "\(path) is a symlink that leads outside the source folder; refused"
        case .tooLarge(let path):
            return "\(path): the desired state is larger than \(SourceLimits.maximumTotalBytes >> 20) MiB of YAML; list what is not desired state in .connsyncignore"
        case .git(let message): return message
        }
    }
}

/// A plain folder of YAML files (`--dir`).
public struct DirectorySource: DesiredStateSource {
    public let directory: String
    public var info: SourceInfo
    /// The most bytes of YAML read in all (tests set a small one).
    var maximumTotalBytes = SourceLimits.maximumTotalBytes

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
        var walk = Walk()
        try collect(root, relative: "", throughSymlink: false, walk: &walk)
        let ignoreFile = root.appendingPathComponent(IgnoreRules.fileName).path
        let rules = FileManager.default.contents(atPath: ignoreFile).map { IgnoreRules(text: String(decoding: $0, as: UTF8.self)) } ?? IgnoreRules()
        let rootReal = rootRealPath
        let limit = maximumTotalBytes
        let found = walk.files.sorted { $0.path < $1.path }.filter { !rules.ignores($0.path) }
        let budget = ReadBudget(limit: limit)
        let folders = OpenFolders(walk.folders, of: found, root: rootReal)
        defer { folders.close() }
        // Read on every core (opening 5,000 small files one after another was most of a
        // per-connection load), then taken in path order, so that the problem reported is the
        // first one a reading in order meets. A file is read only once its size (fstat's) fits
        // in what the others have reserved, so what is held stays within the limit; one that
        // did not fit, or that lies after a file known to fail, is read in the walk below if
        // the walk reaches it.
        let reads = Parallel.map(Array(found.enumerated()), minimumCount: 64) { index, file -> FileRead in
            guard !budget.failed(before: index) else { return .deferred }
            let outcome = read(file, rootReal: rootReal, folders: folders, admit: budget.reserve)
            if case .failed = outcome { budget.failed(at: index) }
            return outcome
        }
        var files: [SourceFile] = []
        files.reserveCapacity(reads.count)
        var total = 0
        for (index, first) in reads.enumerated() {
            let outcome = first.isDeferred ? read(found[index], rootReal: rootReal, folders: folders) : first
            let file: SourceFile
            switch outcome {
            case .read(let read): file = read
            case .failed(let error): throw error
            case .deferred: preconditionFailure("a file read in order is admitted")
            }
            total += file.contents.count
            guard total <= limit else { throw .tooLarge(display(".")) }
            files.append(file)
        }
        return files
    }

    /// A file read, a problem, or a file left for the reading in order.
    enum FileRead: Sendable {
        case read(SourceFile)
        case failed(SourceError)
        case deferred

        var isDeferred: Bool {
            if case .deferred = self { return true }
            return false
        }
    }

    /// - Parameter admit: given fstat's size; false leaves the file unread (`deferred`).
    private func read(_ file: Walk.File, rootReal: String, folders: OpenFolders, admit: (Int) -> Bool = { _ in true }) -> FileRead {
        let relative = file.path
        let real: String
        var folder = AT_FDCWD
        if file.throughSymlink {
            guard let resolved = FileSystem.realPath(root.appendingPathComponent(relative).path), FileSystem.isInside(resolved, folder: rootReal)
            else { return .failed(.outsideSource(display(relative))) }
            real = resolved
        } else if let descriptor = folders[file.folder] {
            // Reached without a symlink, a file lies where its path says, inside the real root.
            folder = descriptor
            real = file.name
        } else {
            real = FileSystem.join(rootReal, relative)
        }
        do {
            guard let data = try FileSystem.read(real, in: folder, maximumSize: YAMLReader.maximumFileSize, admit: admit) else { return .deferred }
            return .read(SourceFile(path: relative, displayPath: display(relative), contents: data))
        } catch {
            return .failed(.unreadable(path: display(relative), reason: error.description))
        }
    }

    /// What a walk of the source found: its folders, and its YAML files with whether a symlink
    /// led to each (only those need their real path checked).
    struct Walk {
        struct File {
            /// Relative to the root.
            var path: String
            var name: String
            /// Its folder, in ``Walk/folders``.
            var folder: Int
            var throughSymlink: Bool
        }

        var files: [File] = []
        /// Relative to the root ("" for the root itself).
        var folders: [String] = []
        var visited: Set<String> = []
    }

    /// The YAML files below `folder`. Entries come from `readdir`: its type saves a `stat` of
    /// every file; only a symlink is followed with one.
    private func collect(_ folder: URL, relative: String, throughSymlink: Bool, walk: inout Walk) throws(SourceError) {
        // A folder reached twice through symlinks is read once (and a symlink loop ends).
        guard walk.visited.insert(FileSystem.realPath(folder.path) ?? folder.path).inserted else { return }
        let folderIndex = walk.folders.count
        walk.folders.append(relative)
        guard let entries = FileSystem.entries(of: folder.path) else {
            throw .unreadable(path: display(relative.isEmpty ? "." : relative), reason: "cannot list the folder")
        }
        for entry in entries where !entry.name.hasPrefix(".") {
            let path = relative.isEmpty ? entry.name : "\(relative)/\(entry.name)"
            var kind = entry.kind
            if kind == .symlink || kind == .unknown {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: folder.appendingPathComponent(entry.name).path, isDirectory: &isDirectory) else { continue }
                kind = isDirectory.boolValue ? .directory : .file
            }
            let linked = throughSymlink || entry.kind != kind
            if kind == .directory {
                try collect(folder.appendingPathComponent(entry.name), relative: path, throughSymlink: linked, walk: &walk)
            } else if entry.name.hasSuffix(".yaml") || entry.name.hasSuffix(".yml") {
                walk.files.append(Walk.File(path: path, name: entry.name, folder: folderIndex, throughSymlink: linked))
            }
        }
    }

    public func locateSecretFile(_ path: String, from file: SourceFile) throws(SourceError) -> SecretFileLocation {
        let named = path.hasPrefix("/") ? URL(fileURLWithPath: path) : root.appendingPathComponent(file.path).deletingLastPathComponent().appendingPathComponent(path)
        guard let real = FileSystem.realPath(named.path) else {
            // Outside the source, a missing file reads like any file outside: a reference cannot
            // probe which files exist on the machine.
            let lexical = named.standardizedFileURL.path
            guard FileSystem.isInside(lexical, folder: root.path) || FileSystem.isInside(lexical, folder: rootRealPath) else { return .outside(lexical) }
            throw .unreadable(path: path, reason: "no such file")
        }
        guard FileSystem.isInside(real, folder: rootRealPath) else { return .outside(real) }
        do {
            return .inSource(try FileSystem.readSecretFile(real))
        } catch {
            throw .unreadable(path: path, reason: error.description)
        }
    }

    /// The source folder with its own symlinks resolved.
    var rootRealPath: String { FileSystem.realPath(root.path) ?? root.path }
}

/// What readers on several threads may hold, against the source's limit: a file is read
/// once its size is reserved; the first file that failed ends reading past it.
final class ReadBudget: @unchecked Sendable {
    private let lock = NSLock()
    private let limit: Int
    private var reserved = 0
    private var firstFailure = Int.max

    init(limit: Int) { self.limit = limit }

    /// Reserves `size` bytes; false when that would pass the limit.
    func reserve(_ size: Int) -> Bool {
        lock.withLock {
            guard size <= limit - reserved else { return false }
            reserved += size
            return true
        }
    }

    func failed(at index: Int) { lock.withLock { firstFailure = min(firstFailure, index) } }

    /// Whether a file before `index` (in path order) is known to fail.
    func failed(before index: Int) -> Bool { lock.withLock { firstFailure < index } }
}

/// The folders of a source's files, each opened once, so that a file is opened by its name
/// in its folder (`openat`) rather than by its whole path: the kernel then walks one name,
/// not every folder of the path. Bounded: at most ``limit(openFiles:)`` folders are opened;
/// the files of the others (and those reached through a symlink) are opened by path.
final class OpenFolders: Sendable {
    /// By the walk's folder index; nil: not open.
    private let descriptors: [CInt?]

    /// The most folders held open: 256, and never more than a quarter of the process's open
    /// files (`RLIMIT_NOFILE`), so that the files themselves can still be opened.
    static func limit(openFiles: Int) -> Int { min(256, max(0, openFiles / 4)) }

    /// Opens the folders (relative to `root`) that hold a file reached without a symlink, in
    /// the order of their first file.
    init(_ folders: [String], of files: [DirectorySource.Walk.File], root: String) {
        var limits = rlimit()
        let openFiles = getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limits) == 0 ? Int(clamping: limits.rlim_cur) : 0
        var room = Self.limit(openFiles: openFiles)
        var descriptors = [CInt?](repeating: nil, count: folders.count)
        var tried = Set<Int>()
        for file in files where !file.throughSymlink {
            guard room > 0 else { break }
            guard tried.insert(file.folder).inserted else { continue }
            let descriptor = open(FileSystem.join(root, folders[file.folder]), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard descriptor >= 0 else { continue }
            descriptors[file.folder] = descriptor
            room -= 1
        }
        self.descriptors = descriptors
    }

    subscript(folder: Int) -> CInt? { descriptors[folder] }

    /// Call once, when no file is read any more.
    func close() {
        for case let descriptor? in descriptors { _ = Foundation.close(descriptor) }
    }
}
