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

    /// Without `views` changes drop their views (only the JSON plan and a saved plan show
    /// them); everything else in the plan is the same, a plan with fingerprints keeps them
    /// (they are worked out from them), and so does a vendor whose writes read them.
    @Test func viewsAreKeptOnlyWhereShownOrSentFrom() throws {
        let mapping = DataforMapping()
        func raw(_ name: String, host: String) -> Value {
            [
                "id": .string("id-\(name)"), "name": .string(name), "hostname": .string(host), "databaseName": "orders", "databasePort": "5432",
                "username": "app", "password": nil, "databaseType": ["shortName": "POSTGRESQL", "name": "PostgreSQL"],
                "attributes": ["driverId": "postgresql", "PORT_NUMBER": "5432"], "extra": "kept",
            ]
        }
        let provider = providerConfig("df", .datafor)
        let converged = connection("df", "converged", vendor: .datafor)
        let moved = connection("df", "moved", vendor: .datafor)
        let created = connection("df", "new", vendor: .datafor)
        let objects = [remote(mapping, raw("converged", host: "db.internal")), remote(mapping, raw("moved", host: "old.internal"))]
        let planner = Planner(mappings: VendorRegistry.standard.mappings)
        func run(fingerprints: Bool, views: Bool) -> Plan {
            planner.plan(
                PlanInput(
                    desired: desiredState([provider], [converged, moved, created]), observations: ["df": .observed(objects)],
                    records: [priorRecord(converged.address), priorRecord(moved.address)], secretKey: stateKey, fingerprints: fingerprints,
                    views: views))
        }
        // (`== nil` would compare with the JSON null: Value is nil-expressible.)
        func held(_ view: Value?) -> Bool { view.map { _ in true } ?? false }
        let full = run(fingerprints: false, views: true)
        let lean = run(fingerprints: false, views: false)
        let saved = run(fingerprints: true, views: false)
        #expect(full.changes.map(\.action) == [.noOp, .update, .create])
        #expect(lean.changes.map(\.action) == full.changes.map(\.action))
        #expect(full.changes.allSatisfy { held($0.after) } && full.changes.prefix(2).allSatisfy { held($0.before) })
        #expect(lean.changes.allSatisfy { !held($0.before) && !held($0.after) })
        #expect(saved.changes.map(\.before) == full.changes.map(\.before) && saved.changes.map(\.after) == full.changes.map(\.after))
        // What is sent and shown is untouched.
        #expect(lean.changes.map(\.request) == full.changes.map(\.request))
        #expect(lean.changes.map(\.diffs) == full.changes.map(\.diffs))
        #expect(lean.changes.map(lines)[1] == ["change host: \"old.internal\" -> \"db.internal\""])
        #expect(lean.summary == full.summary)
        // What apply records is the same: the hash made from `after` before it was dropped.
        let hasher = SecretHasher(key: stateKey)
        #expect(lean.changes.map { $0.appliedValueHash(hasher) } == full.changes.map { $0.appliedValueHash(hasher) })
        #expect(lean.changes.allSatisfy { $0.appliedValueHash(hasher)?.count == 64 })

        // Grafana's writes compare what they read back with the views: kept without `views`.
        let grafana = GrafanaMapping()
        #expect(grafana.sendsFromViews && !mapping.sendsFromViews)
        let source = providerConfig("gf", .grafana)
        let wanted = connection("gf", "orders", vendor: .grafana)
        let plan = planner.plan(
            PlanInput(
                desired: desiredState([source], [wanted]), observations: ["gf": .observed([])], records: [], secretKey: stateKey,
                fingerprints: false, views: false))
        #expect(plan.changes.map(\.action) == [.create])
        #expect(held(plan.changes.first?.after))
    }
}

@Suite("Planner: providers planned as they are observed")
struct PreplannedTests {
    /// The engine plans each provider as soon as its pages arrive; the final plan must be the
    /// same as planning everything at once, including problems, notes and fingerprints.
    @Test func preplannedProvidersGiveTheSamePlan() throws {
        let wm = providerConfig("wm", .wiremockCloud, prune: true)
        let df = providerConfig("df", .datafor)
        let broken = providerConfig("broken", .wiremockCloud)
        let wmMapping = WireMockCloudMapping()
        let live: (String, String) -> RemoteObject = { name, host in
            remote(
                wmMapping,
                [
                    "id": .string("id-\(name)"), "connectionName": .string(name), "databaseType": "POSTGRESQL", "host": .string(host),
                    "port": 5432, "databaseName": "orders", "username": "app",
                ])
        }
        let connections = [
            connection("wm", "orders", vendor: .wiremockCloud), connection("wm", "drifted", vendor: .wiremockCloud),
            connection("wm", "new", vendor: .wiremockCloud), connection("df", "orders", vendor: .datafor),
            connection("broken", "x", vendor: .wiremockCloud),
        ]
        let records = connections.map { priorRecord($0.address) } + [priorRecord(Address(provider: "wm", name: "gone"), created: true, id: "id-gone")]
        let input = PlanInput(
            desired: desiredState([wm, df, broken], connections),
            observations: [
                "wm": .observed([live("orders", "db.internal"), live("drifted", "old.internal"), live("gone", "db.internal"), live("other", "x")]),
                "df": .observed([]), "broken": .failed("observe broken: 500 Internal Server Error"),
            ],
            records: records, secretKey: stateKey)
        let planner = Planner(mappings: VendorRegistry.standard.mappings)
        let whole = planner.plan(input)
        let pieces = ["wm", "df", "broken"].compactMap { name in
            planner.planConnections(of: name, PlanInput(
                desired: input.desired, observations: [name: input.observations[name]!], records: records, secretKey: stateKey))
        }
        let pipelined = planner.plan(input, preplanned: pieces)
        #expect(whole.changes.map(\.address) == pipelined.changes.map(\.address))
        #expect(whole.changes.map(\.action) == pipelined.changes.map(\.action))
        #expect(whole.changes.map(lines) == pipelined.changes.map(lines))
        #expect(whole.problems.map(\.description) == pipelined.problems.map(\.description))
        #expect(whole.notes == pipelined.notes)
        #expect(whole.remoteFingerprint == pipelined.remoteFingerprint)
        #expect(whole.desiredFingerprint == pipelined.desiredFingerprint)
        // The engine holds no list of a provider planned early (a saved plan's fingerprints
        // aside): the plan is the same without them, prune and what is left alone included.
        let lean = planner.plan(
            PlanInput(desired: input.desired, observations: ["broken": input.observations["broken"]!], records: records, secretKey: stateKey, fingerprints: false),
            preplanned: pieces)
        #expect(lean.changes.map(\.address) == whole.changes.map(\.address))
        #expect(lean.changes.map(\.action) == whole.changes.map(\.action))
        #expect(lean.changes.map(lines) == whole.changes.map(lines))
        #expect(lean.problems.map(\.description) == whole.problems.map(\.description))
        #expect(lean.notes == whole.notes)
        #expect(whole.notes.contains("wm: 1 remote connection not in the desired state, left alone"), "\(whole.notes)")
        // And the plan is the one expected: a no-op, an update, a create, a prune, a problem.
        #expect(whole.changes.map { "\($0.address) \($0.action)" }.sorted() == [
            "df/orders create", "wm/drifted update", "wm/gone delete", "wm/new create", "wm/orders noOp",
        ])
        #expect(whole.problems.contains { $0.provider == "broken" })
        #expect(!whole.remoteFingerprint.isEmpty && !whole.desiredFingerprint.isEmpty)

        // A plan that will not be saved skips the fingerprints, and nothing else.
        var unsaved = input
        unsaved.fingerprints = false
        let quick = planner.plan(unsaved)
        #expect(quick.remoteFingerprint.isEmpty && quick.desiredFingerprint.isEmpty)
        #expect(quick.changes.map(lines) == whole.changes.map(lines))
        #expect(quick.changes.map(\.recordUpdate?.secretHashes) == whole.changes.map(\.recordUpdate?.secretHashes))
        #expect(quick.changes.map(\.recordUpdate?.isCreatedByConnsync) == whole.changes.map(\.recordUpdate?.isCreatedByConnsync))
        #expect(quick.notes == whole.notes)
        // Nor the applied-value hashes, which the engine then works out from each change's
        // desired view when it records it: the same function of the same inputs.
        let hasher = SecretHasher(key: stateKey)
        let planned = whole.changes.filter { $0.recordUpdate != nil }
        #expect(planned.count == 4)
        for (change, unsavedChange) in zip(whole.changes, quick.changes) where change.recordUpdate != nil {
            let update = try #require(change.recordUpdate)
            #expect(update.appliedValueHash != nil)
            #expect(unsavedChange.appliedValueHash(hasher) == update.appliedValueHash)
        }
        #expect(quick.changes.allSatisfy { $0.recordUpdate?.appliedValueHash == nil })
    }
}
