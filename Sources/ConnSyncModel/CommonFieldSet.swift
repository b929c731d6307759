/// Common fields as bits: membership without hashing, for the checks the loader runs on
/// every connection (a `Set<CommonField>` hashed each field and allocated each set).
public struct CommonFieldSet: Sendable, Hashable, Sequence {
    private var bits: UInt8

    public init() { bits = 0 }

    public init(_ fields: some Sequence<CommonField>) {
        bits = 0
        for field in fields { insert(field) }
    }

    private static func bit(_ field: CommonField) -> UInt8 { 1 << UInt8(field.ordinal) }

    public var isEmpty: Bool { bits == 0 }

    public func contains(_ field: CommonField) -> Bool { bits & Self.bit(field) != 0 }

    public mutating func insert(_ field: CommonField) { bits |= Self.bit(field) }

    /// The fields of `self` not in `other`.
    public func subtracting(_ other: CommonFieldSet) -> CommonFieldSet {
        var result = CommonFieldSet()
        result.bits = bits & ~other.bits
        return result
    }

    /// The fields in table order.
    public func makeIterator() -> IndexingIterator<[CommonField]> {
        CommonField.inOrder.filter(contains).makeIterator()
    }
}

extension DatabaseFields {
    /// The fields that are set, as bits.
    public var setFieldSet: CommonFieldSet {
        var set = CommonFieldSet()
        for field in CommonField.inOrder where isSet(field) { set.insert(field) }
        return set
    }
}
