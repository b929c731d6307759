import ConnSyncModel
import ConnSyncPlan
import ConnSyncProviders
import Testing

@Suite("Keyed hashes and observed objects")
struct HashingTests {
    /// State keeps these hashes across versions: the exact bytes hashed must never change,
    /// or every recorded secret would show as changed after an upgrade. The expected value
    /// is HMAC-SHA256 over big-endian 8-byte length-prefixed parts (computed independently).
    @Test func secretHashesArePinned() {
        let hasher = SecretHasher(key: [UInt8](repeating: 1, count: 32))
        let hash = hasher.hash(secret: "hunter2", field: "password", of: Address(provider: "prov", name: "orders"))
        #expect(hash == "3f02be6cb817f5c9abbf4c3827d8209cc2a1c2e2ed00413b5bd613954cee33f0")
        #expect(SecretHasher.digest("{\"a\":1}") == "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862")
        // Parts cannot run into each other.
        #expect(hasher.hash(parts: ["ab", "c"]) != hasher.hash(parts: ["a", "bc"]))
    }

    /// Providers normalize objects as their pages arrive; the planner must reach exactly the
    /// same plan as when it normalizes them itself.
    @Test func aPrecomputedViewPlansExactlyLikeTheRawObject() throws {
        let mapping = DataforMapping()
        let raw: Value = [
            "id": "42", "name": "orders", "hostname": "old.internal", "databaseName": "orders", "databasePort": "5432",
            "username": "app", "password": nil, "databaseType": ["shortName": "POSTGRESQL", "name": "PostgreSQL"],
            "attributes": ["driverId": "postgresql", "PORT_NUMBER": "5432"], "extra": "kept",
        ]
        let plain = RemoteObject(id: "42", name: "orders", raw: raw)
        let precomputed = RemoteObject(id: "42", name: "orders", raw: raw, normalized: mapping.normalize(raw))
        #expect(plain == precomputed)
        #expect(plain.canonicalJSON == raw.jsonString())
        let provider = providerConfig("df", .datafor)
        let desired = connection("df", "orders", vendor: .datafor)
        let a = plan([provider], [desired], remote: ["df": [plain]], records: [priorRecord(desired.address)])
        let b = plan([provider], [desired], remote: ["df": [precomputed]], records: [priorRecord(desired.address)])
        #expect(a.changes.map(lines) == b.changes.map(lines))
        #expect(a.changes.map(lines) == [["change host: \"old.internal\" -> \"db.internal\""]])
        #expect(a.remoteFingerprint == b.remoteFingerprint)
        #expect(a.desiredFingerprint == b.desiredFingerprint)
        // The fingerprint moves with the remote object.
        var moved = raw
        moved["hostname"] = "elsewhere.internal"
        let c = plan([provider], [desired], remote: ["df": [RemoteObject(id: "42", name: "orders", raw: moved)]], records: [priorRecord(desired.address)])
        #expect(c.remoteFingerprint != a.remoteFingerprint)
    }
}
