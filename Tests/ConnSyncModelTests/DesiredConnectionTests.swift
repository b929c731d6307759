import ConnSyncModel
import Testing

@Suite("Desired connection box")
struct DesiredConnectionTests {
    static let original = DesiredConnection(
        address: Address(provider: "p", name: "orders"), vendor: "wix-data", labels: ["team": "data"],
        fields: DatabaseFields(host: "db.internal", port: 5432))

    @Test func aWriteToACopyLeavesTheOriginalAlone() {
        var copy = Self.original
        #expect(copy == Self.original)
        copy.fields.host = "db-moved.internal"
        copy.labels["tier"] = "gold"
        #expect(copy != Self.original)
        #expect(Self.original.fields.host == "db.internal")
        #expect(Self.original.labels == ["team": "data"])
        #expect(copy.fields.host == "db-moved.internal" && copy.fields.port == 5432)
    }

    @Test func equalFieldsAreEqualAndHashAlikeInSeparateBoxes() {
        let twin = DesiredConnection(
            address: Address(provider: "p", name: "orders"), vendor: "wix-data", labels: ["team": "data"],
            fields: DatabaseFields(host: "db.internal", port: 5432))
        #expect(twin == Self.original)
        #expect(Set([twin, Self.original]).count == 1)
        var other = twin
        other.skippedFields = [.ssl]
        #expect(other != Self.original)
    }
}
