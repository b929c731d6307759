/// A `kind: Connection` document after inheritance: what connsync wants one
/// vendor to hold.
///
/// A value type whose fields live in one shared, copy-on-write box: a copy costs one
/// reference count, not one per string, dictionary and secret it holds (about twenty).
/// The desired state of 50,000 connections is handed through arrays, sorted, merged and
/// walked many times before and during a plan, and those copies were the serial part of
/// loading that the first request waited for.
public struct DesiredConnection: Sendable, Hashable {
    /// Every field; `==` and `hash(into:)` are this struct's.
    struct Fields: Sendable, Hashable {
        var address: Address
        var vendor: VendorType
        var labels: [String: String]
        var databaseRef: String?
        var fields: DatabaseFields
        var skippedFields: [CommonField]
        var options: Value
        var location: SourceLocation?
    }

    /// Immutable (no exclusivity check on a read): a write makes a new box.
    final class Box: Sendable {
        let fields: Fields
        init(_ fields: Fields) { self.fields = fields }
    }

    private var box: Box

    public init(
        address: Address,
        vendor: VendorType,
        labels: [String: String] = [:],
        databaseRef: String? = nil,
        fields: DatabaseFields = DatabaseFields(),
        skippedFields: [CommonField] = [],
        options: Value = .emptyObject,
        location: SourceLocation? = nil
    ) {
        box = Box(
            Fields(
                address: address, vendor: vendor, labels: labels, databaseRef: databaseRef, fields: fields, skippedFields: skippedFields,
                options: options, location: location))
    }

    /// Writes are rare (the loader builds each connection whole): each makes a new box.
    private mutating func update(_ change: (inout Fields) -> Void) {
        var fields = box.fields
        change(&fields)
        box = Box(fields)
    }

    public var address: Address {
        _read { yield box.fields.address }
        set { update { $0.address = newValue } }
    }

    public var vendor: VendorType {
        _read { yield box.fields.vendor }
        set { update { $0.vendor = newValue } }
    }

    public var labels: [String: String] {
        _read { yield box.fields.labels }
        set { update { $0.labels = newValue } }
    }

    /// The Database this connection inherits from, if any.
    public var databaseRef: String? {
        _read { yield box.fields.databaseRef }
        set { update { $0.databaseRef = newValue } }
    }

    /// Effective fields: the Database's, overridden by the Connection's own, minus
    /// inherited fields the vendor cannot hold (see ``skippedFields``).
    public var fields: DatabaseFields {
        _read { yield box.fields.fields }
        set { update { $0.fields = newValue } }
    }

    /// Fields inherited through `databaseRef` that the vendor cannot hold: not sent,
    /// listed once per connection as a note by `plan`.
    public var skippedFields: [CommonField] {
        _read { yield box.fields.skippedFields }
        set { update { $0.skippedFields = newValue } }
    }

    /// `spec.options`, in the vendor's own names and shape (an object, possibly empty);
    /// string leaves written as references are `.secret`.
    public var options: Value {
        _read { yield box.fields.options }
        set { update { $0.options = newValue } }
    }

    public var location: SourceLocation? {
        _read { yield box.fields.location }
        set { update { $0.location = newValue } }
    }

    public var name: String { address.name }

    public static func == (lhs: DesiredConnection, rhs: DesiredConnection) -> Bool {
        lhs.box === rhs.box || lhs.box.fields == rhs.box.fields
    }

    public func hash(into hasher: inout Hasher) {
        box.fields.hash(into: &hasher)
    }
}
