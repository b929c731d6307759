import Foundation

/// Why a private file could not be written, in words a user can act on.
public struct PrivateFileError: Error, CustomStringConvertible {
    var path: String
    var reason: String

    public var description: String { "cannot write \(path): \(reason)" }

    static func from(errno code: Int32, path: String) -> PrivateFileError {
        let reason: String
        switch code {
        case ENOENT: reason = "its folder does not exist; create it first or choose another path"
        case EACCES, EPERM: reason = "permission denied; choose a folder you can write to"
        case ENOSPC: reason = "the disk is full"
        case EISDIR: reason = "it is a folder; give a file name"
        case EROFS: reason = "the file system is read-only"
        default: reason = String(cString: strerror(code))
        }
        return PrivateFileError(path: path, reason: reason)
    }
}

/// Files only their owner may read (mode 0600), written atomically: a temporary file in the
/// same folder, then a rename.
public enum PrivateFile {
    public static func write(_ data: Data, to path: String) throws(PrivateFileError) {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw PrivateFileError.from(errno: EISDIR, path: path)
        }
        let temporary = folder + "/.connsync-\(UUID().uuidString).tmp"
        let descriptor = open(temporary, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw PrivateFileError.from(errno: errno, path: path) }
        var failure: Int32 = 0
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Foundation.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += written
            }
        }
        if failure == 0, fsync(descriptor) != 0 { failure = errno }
        close(descriptor)
        if failure == 0, rename(temporary, path) != 0 { failure = errno }
        if failure != 0 {
            unlink(temporary)
            throw PrivateFileError.from(errno: failure, path: path)
        }
    }
}
