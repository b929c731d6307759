import Foundation

/// Errors in words a user can act on: connsync's own errors say what failed and what to
/// do; Foundation's (`Error Domain=NSCocoaErrorDomain Code=4 ...`) are translated, never
/// shown as they are.
public enum ErrorText {
    public static func describe(_ error: any Error) -> String {
        let bridged = error as NSError
        if bridged.domain == NSCocoaErrorDomain || bridged.domain == NSPOSIXErrorDomain {
            return foundation(bridged)
        }
        return ControlCharacters.escaped(String(describing: error))
    }

    static func foundation(_ error: NSError) -> String {
        let path = (error.userInfo[NSFilePathErrorKey] as? String) ?? (error.userInfo[NSURLErrorKey] as? URL)?.path
        let underlying = (error.userInfo[NSUnderlyingErrorKey] as? NSError).flatMap { $0.domain == NSPOSIXErrorDomain ? Int32($0.code) : nil }
        let code = error.domain == NSPOSIXErrorDomain ? Int32(error.code) : underlying
        let reason: String
        switch (error.domain, error.code, code) {
        case (_, _, ENOENT?), (NSCocoaErrorDomain, NSFileNoSuchFileError, _), (NSCocoaErrorDomain, NSFileReadNoSuchFileError, _),
            (NSCocoaErrorDomain, 4, _):
            reason = "no such file or folder (create the folder first, or check the path)"
        case (_, _, EACCES?), (_, _, EPERM?), (NSCocoaErrorDomain, NSFileWriteNoPermissionError, _), (NSCocoaErrorDomain, NSFileReadNoPermissionError, _):
            reason = "permission denied (choose a place you can write to, or fix its permissions)"
        case (_, _, ENOSPC?), (NSCocoaErrorDomain, NSFileWriteOutOfSpaceError, _):
            reason = "the disk is full"
        case (_, _, EROFS?), (NSCocoaErrorDomain, NSFileWriteVolumeReadOnlyError, _):
            reason = "the file system is read-only"
        case (_, _, EEXIST?), (NSCocoaErrorDomain, NSFileWriteFileExistsError, _):
            reason = "something with that name is in the way"
        case (_, _, ENOTDIR?):
            reason = "a part of the path is a file, not a folder"
        case (_, _, let errno?):
            reason = String(cString: strerror(errno)).lowercased()
        default:
            reason = "the file operation failed"
        }
        return path.map { "\($0): \(reason)" } ?? reason
    }
}
