/// A value that must never be shown: its `description`, `debugDescription`,
/// reflection (`dump`, `Mirror`) and `Encodable` form are all `(sensitive)`.
///
/// The wrapped value is reachable only through ``revealed()``, which call
/// sites use exactly where the value must leave the process: the body of a
/// vendor request, or the keyed hash that state keeps. Equality and hashing
/// compare the wrapped values (that reveals nothing to a reader).
public struct Sensitive<Wrapped: Sendable & Hashable>: Sendable, Hashable {
    private let storage: Wrapped

    public init(_ value: Wrapped) {
        storage = value
    }

    /// The secret itself. Call only to send it to the vendor or to hash it.
    public func revealed() -> Wrapped {
        storage
    }

    /// The text every view shows in place of a secret.
    public static var mask: String { "(sensitive)" }
}

extension Sensitive: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String { Self.mask }
    public var debugDescription: String { Self.mask }
}

extension Sensitive: CustomReflectable {
    public var customMirror: Mirror {
        Mirror(self, children: [(label: String?, value: Any)](), displayStyle: .struct)
    }
}

extension Sensitive: CustomLeafReflectable {}

extension Sensitive: Encodable {
    /// Encodes the mask, never the value: encoding a `Sensitive` can never leak it.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Self.mask)
    }
}
