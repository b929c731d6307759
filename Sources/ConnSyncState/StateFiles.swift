import Foundation

/// The files of a SQLite state (cli.md v1.1): the state and its `-wal`/`-shm` companions are
/// 0600 (they hold the HMAC key), connsync's own `.connsync/` folder is 0700 and holds a
/// `.gitignore` of `*`; a folder the user named is never chmod-ed; an empty (0-byte) state
/// file is an error, never new state.
enum StateFiles {
    /// The name of the folder connsync owns (the default `sqlite:.connsync/state.db`).
    static let ownFolderName = ".connsync"

    /// A file as it was opened: a later write checks it is still the same file.
    struct Identity: Sendable, Hashable {
        var device: UInt64
        var inode: UInt64
    }

    /// Creates what is missing before SQLite opens `path`; returns notes for the user.
    static func prepare(_ path: String) throws -> [String] {
        var notes: [String] = []
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let isOwnFolder = URL(fileURLWithPath: folder).lastPathComponent == ownFolderName
        var info = stat()
        // connsync's own folder is never a symlink: its chmod and files would land elsewhere.
        if isOwnFolder, lstat(folder, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
            throw StateError.storage(
                location: "sqlite:\(path)",
                message: "\(folder) is a symlink; connsync does not follow one for its own folder: remove it, or name the state with --state")
        }
        if stat(folder, &info) != 0 {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } else if isOwnFolder, info.st_mode & 0o077 != 0 {
            chmod(folder, 0o700)
            notes.append("tightened \(folder) to mode 0700: it holds connsync's state and its HMAC key")
        }
        if isOwnFolder {
            let ignore = folder + "/.gitignore"
            if !FileManager.default.fileExists(atPath: ignore) {
                // Never part of a repository: keeps a work tree from reading as (dirty).
                FileManager.default.createFile(atPath: ignore, contents: Data("*\n".utf8), attributes: [.posixPermissions: 0o600])
            }
        }
        if stat(path, &info) == 0 {
            guard info.st_size > 0 else { throw StateError.emptyFile(path: path) }
            return notes
        }
        let descriptor = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        if descriptor >= 0 { close(descriptor) }
        notes.append("created a new state at sqlite:\(path) (no connection recorded yet)")
        return notes
    }

    /// Tightens the state file and its companions to 0600 when they are looser.
    static func tighten(_ path: String) -> [String] {
        var tightened: [String] = []
        for file in [path, path + "-wal", path + "-shm"] {
            var info = stat()
            guard stat(file, &info) == 0, info.st_mode & 0o077 != 0 else { continue }
            if chmod(file, 0o600) == 0 { tightened.append(URL(fileURLWithPath: file).lastPathComponent) }
        }
        guard !tightened.isEmpty else { return [] }
        return ["tightened \(tightened.joined(separator: ", ")) to mode 0600: the state holds its HMAC key"]
    }

    static func identity(of path: String) throws -> Identity {
        var info = stat()
        guard stat(path, &info) == 0 else { throw StateError.fileChanged(path: path, what: "vanished") }
        return Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// Fails when `path` is gone, empty, or another file than `identity`.
    static func check(_ path: String, against identity: Identity) throws(StateError) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .fileChanged(path: path, what: "was deleted") }
        guard UInt64(info.st_dev) == identity.device, UInt64(info.st_ino) == identity.inode else {
            throw .fileChanged(path: path, what: "was replaced by another file")
        }
        guard info.st_size > 0 else { throw .fileChanged(path: path, what: "was emptied (0 bytes)") }
    }
}
