import Foundation

/// How ``Value`` serialization treats `.secret` leaves.
public enum SecretRendering: Sendable {
    /// Write `"(sensitive)"`: for every view, log and file.
    case mask
    /// Write the resolved value: only for the body of a vendor request.
    case reveal
    /// Write what the closure returns for the secret at that path (e.g. a keyed hash).
    case replace(@Sendable (FieldPath, Secret) -> String)
}

public enum JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    case unresolvedSecret(FieldPath)
    case syntax(offset: Int, message: String)
    case nonFiniteNumber

    public var description: String {
        switch self {
        case .unresolvedSecret(let path): return "secret at \(path) is not resolved; it cannot be sent"
        case .syntax(let offset, let message): return "invalid JSON at byte \(offset): \(message)"
        case .nonFiniteNumber: return "a number is not finite and cannot be written as JSON"
        }
    }
}
