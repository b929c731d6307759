import ConnSyncModel
import Foundation

/// Where a `fromFile` reference leads (see ``DesiredStateSource/locateSecretFile(_:from:)``).
public enum SecretFileLocation: Sendable, Hashable {
    /// Inside the source: the file's bytes.
    case inSource(Data)
    /// Outside the source, at this absolute, symlink-free path: readable only under a secrets folder.
    case outside(String)
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
    case outsideSource(path: String, secretsDirectories: [String])
    case unreadableFile(path: String, reason: String)
    case literalNotResolvable
    case commandsNotAllowed
    case commandNotTrusted(reference: String)
    case commandFailed(command: String, reason: String)
    case commandTimedOut(command: String, seconds: Double)
    case noAgeIdentity(path: String)
    case unreadableIdentityFile(path: String, reason: String)
    case undecryptable(path: String, reason: String)

    public var description: String {
        switch self {
        case .unsetVariable(let name): return "environment variable \(name) is not set; set it, or check the name"
        case .emptyVariable(let name): return "environment variable \(name) is empty; set it to the secret"
        case .missingFile(let path): return "cannot read secret file \(path); check the path and its permissions"
        case .outsideSource(let path, let folders):
            return "secret file \(path) lies outside the source and outside the secrets folders (\(folders.joined(separator: ", "))); "
                + "refused, nothing was read: keep it in the source, or name its folder with --secrets-dir"
        case .unreadableFile(let path, let reason): return "cannot read secret file \(path): \(reason)"
        case .literalNotResolvable: return "a literal secret needs no resolution"
        case .commandsNotAllowed:
            return "fromCommand runs a program: pass --allow-secret-commands to allow it (nothing was run)"
        case .commandNotTrusted(let reference):
            return "this document differs from \(reference), so its fromCommand was not run (a changed command runs once it is merged)"
        case .commandFailed(let command, let reason): return "the secret command \(command) \(reason)"
        case .noAgeIdentity(let path):
            return "secret file \(path) is age-encrypted: give the identity file with --age-identity FILE or CONNSYNC_AGE_IDENTITY (nothing was sent)"
        case .unreadableIdentityFile(let path, let reason): return "cannot use the age identity file \(path): \(reason)"
        case .undecryptable(let path, let reason): return "cannot decrypt secret file \(path): \(reason)"
        case .commandTimedOut(let command, let seconds):
            return "the secret command \(command) did not finish within \(seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)) s; it was stopped"
        }
    }
}

/// `fromEnv` from an injected environment; `fromFile` through the source, inside it or under
/// a secrets folder (config-format v1.1). One trailing newline (`\n` or `\r\n`) is trimmed.
public struct StandardSecretResolver: SecretResolver {
    /// The secrets folder every run may read: Docker and Kubernetes mount secrets there.
    public static let defaultSecretsDirectories = ["/run/secrets"]

    public let environment: [String: String]
    /// Folders where `fromFile` may read outside the source, with their own symlinks resolved.
    public let secretsDirectories: [String]
    /// Runs `fromCommand` references, each distinct command once (make one per load).
    public let commands: SecretCommands
    let age: AgeSecrets

    public init(
        environment: [String: String], secretsDirectories: [String] = StandardSecretResolver.defaultSecretsDirectories,
        ageIdentityFile: String? = nil, commandTimeout: Duration = .seconds(10)
    ) {
        self.environment = environment
        self.secretsDirectories = secretsDirectories
        age = AgeSecrets(identityFile: ageIdentityFile)
        commands = SecretCommands(environment: environment, timeout: commandTimeout)
    }

    public func resolve(_ source: SecretSource, in file: SourceFile, from origin: any DesiredStateSource) throws(SecretResolutionError)
        -> String
    {
        let value = try lookup(source, in: file, from: origin)
        // Known to this load from now on: kept out of what a failing command says.
        if case .command = source {} else { commands.remember(value) }
        return value
    }

    private func lookup(_ source: SecretSource, in file: SourceFile, from origin: any DesiredStateSource) throws(SecretResolutionError)
        -> String
    {
        switch source {
        case .environment(let name):
            guard let value = environment[name] else { throw .unsetVariable(name) }
            guard !value.isEmpty else { throw .emptyVariable(name) }
            return Self.trimmingOneNewline(value)
        case .file(let path):
            let location: SecretFileLocation
            do {
                location = try origin.locateSecretFile(path, from: file)
            } catch {
                if case .outsideSource = error { throw .outsideSource(path: path, secretsDirectories: secretsDirectories) }
                throw .missingFile(path)
            }
            let data: Data
            switch location {
            case .inSource(let bytes):
                data = bytes
            case .outside(let real):
                let folders = secretsDirectories.map { FileSystem.realPath($0) ?? $0 }
                guard folders.contains(where: { FileSystem.isInside(real, folder: $0) }) else {
                    throw .outsideSource(path: path, secretsDirectories: secretsDirectories)
                }
                do {
                    data = try FileSystem.readSecretFile(real)
                } catch {
                    throw .unreadableFile(path: path, reason: error.description)
                }
            }
            // An age-encrypted file is decrypted; one trailing newline is trimmed after that too.
            return Self.trimmingOneNewline(String(decoding: try age.plaintext(data, path: path), as: UTF8.self))
        case .command(let argv):
            return try commands.value(of: argv)
        case .literal:
            throw .literalNotResolvable
        }
    }

    /// "\r\n" is one Character in Swift: one removeLast() trims either ending.
    static func trimmingOneNewline(_ value: String) -> String {
        var text = value
        if text.hasSuffix("\r\n") || text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}

/// The few filesystem facts the sources need, bounded.
enum FileSystem {
    /// Secret files larger than this are refused.
    static let maximumSecretSize = 1 << 20

    struct ReadError: Error, CustomStringConvertible {
        var description: String
    }

    /// The absolute path with every symlink and `..` resolved; nil when it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// `relative` below `folder` ("" is the folder itself).
    static func join(_ folder: String, _ relative: String) -> String {
        relative.isEmpty ? folder : folder.hasSuffix("/") ? folder + relative : folder + "/" + relative
    }

    /// Whether `path` is `folder` or lies below it (both symlink-free).
    static func isInside(_ path: String, folder: String) -> Bool {
        let base = folder.hasSuffix("/") ? folder : folder + "/"
        return path == folder || path.hasPrefix(base) || folder == "/"
    }

    static func readSecretFile(_ path: String) throws(ReadError) -> Data {
        try read(path, maximumSize: maximumSecretSize)
    }

    /// A regular file's bytes, refusing anything else (a device, a FIFO) and anything larger
    /// than `maximumSize`.
    static func read(_ path: String, maximumSize: Int) throws(ReadError) -> Data {
        try read(path, maximumSize: maximumSize, admit: { _ in true }) ?? Data()
    }

    /// ``read(_:maximumSize:)``, asking first.
    /// - Parameters:
    ///   - folder: an open folder that a relative `path` starts from (`openat`: the kernel then
    ///     walks one name, not the whole path); by default the working directory.
    ///   - admit: given the size fstat reports, before any read; when it says no, the file is
    ///     not read and the result is nil.
    static func read(_ path: String, in folder: CInt = AT_FDCWD, maximumSize: Int, admit: (Int) -> Bool) throws(ReadError) -> Data? {
        let descriptor = openat(folder, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard descriptor >= 0 else {
            throw ReadError(description: errno == ENOENT ? "no such file" : errno == EACCES ? "permission denied" : String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        // fstat of what was opened: a FIFO or device is refused before any read.
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw ReadError(description: "no such file") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw ReadError(description: "not a regular file") }
        guard Int(info.st_size) <= maximumSize else { throw ReadError(description: "larger than \(maximumSize >> 10) KiB") }
        guard admit(Int(info.st_size)) else { return nil }
        // Read to the end (a size that under-reports, or a file that grew, is still read
        // whole), never more than one byte past the limit.
        let limit = maximumSize + 1
        var data = Data(count: min(limit, Int(info.st_size) + 1))
        var filled = 0
        while filled < limit {
            if filled == data.count { data.count = min(limit, max(data.count * 2, 4096)) }
            let room = data.count - filled
            let count = data.withUnsafeMutableBytes { buffer in Foundation.read(descriptor, buffer.baseAddress! + filled, room) }
            if count < 0, errno == EINTR { continue }
            if count < 0 { throw ReadError(description: String(cString: strerror(errno))) }
            if count == 0 { break }
            filled += count
            // Short of what was asked, at the size fstat gave: the end (a regular file reads
            // short only there), without a further read to see it return nothing.
            if count < room, filled == Int(info.st_size) { break }
        }
        guard filled <= maximumSize else { throw ReadError(description: "larger than \(maximumSize >> 10) KiB") }
        data.count = filled
        return data
    }

    /// A folder's entries with their types from `readdir` (`unknown` where the file system
    /// gives none); nil when it cannot be listed.
    static func entries(of folder: String) -> [DirectoryEntry]? {
        guard let directory = opendir(folder) else { return nil }
        defer { closedir(directory) }
        var result: [DirectoryEntry] = []
        // The name is read where it lies. A copy of `d_name` would copy all 256 bytes of the
        // field, but a record is only as long as its name: past the last record of the buffer
        // that read beyond it, and crashed when the next page was not mapped.
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        while let entry = readdir(directory) {
            let name = String(cString: (UnsafeRawPointer(entry) + nameOffset).assumingMemoryBound(to: CChar.self))
            guard name != ".", name != ".." else { continue }
            let kind: DirectoryEntry.Kind
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_REG): kind = .file
            case Int32(DT_DIR): kind = .directory
            case Int32(DT_LNK): kind = .symlink
            default: kind = .unknown
            }
            result.append(DirectoryEntry(name: name, kind: kind))
        }
        return result
    }
}

struct DirectoryEntry {
    enum Kind {
        case file
        case directory
        case symlink
        case unknown
    }

    var name: String
    var kind: Kind
}
