import ConnSyncEmulator
import ConnSyncModel
import ConnSyncPlan
import ConnSyncProviders
import Foundation
import TestSupport
import Testing

// The five providers against the in-process emulator over loopback; only the clock of the
// FET-1021 waits is virtual.

func providerConfig(_ type: VendorType, base: String) -> ProviderConfig {
    ProviderConfig(
        name: "p", type: type, baseURL: type == .datafor ? base + "/datafor" : base,
        auth: type == .datafor ? ProviderAuth(username: .resolved("admin"), password: .resolved("pw")) : ProviderAuth(token: .resolved("tok")),
        settings: testSettings(type))
}

func makeProvider(_ type: VendorType, base: String, transport: any HTTPTransport, clock: ManualClock = ManualClock(), maximumWait: Duration = .seconds(120))
    throws -> any Provider
{
    try VendorRegistry.standard.provider(
        for: providerConfig(type, base: base), transport: transport, jobWait: JobWaitPolicy(maximumWait: maximumWait, clock: clock))
}

@Suite("Providers")
struct ProviderTests {
    @Test func wiremockObservesWithListPagesOnlyAndUsesQForOneName() async throws {
        try await withEmulator { emulator, base in
            var seeded: [Value] = []
            for index in 0..<250 {
                seeded.append(["userId": "u1", "connectionName": .string("c\(index)"), "databaseType": "MYSQL", "host": "h", "port": 1, "databaseName": "d", "username": "u"])
            }
            try await emulator.seed(["wiremock-cloud": .array(seeded)])
            try await withTransport { transport in
                let provider = try makeProvider(.wiremockCloud, base: base, transport: transport)
                let all = try await provider.observe(names: nil)
                #expect(all.count == 250)
                #expect(Set(all.map(\.name)).count == 250)
                #expect(all.allSatisfy { $0.id != nil })
                let one = try await provider.observe(names: ["c12"])
                #expect(one.map(\.name) == ["c12"])
            }
            let queries = await emulator.requestLog().compactMap { $0["query"]?.stringValue }
            #expect(queries.count == 4)
            #expect(queries.last == "page=1&limit=100&q=c12")
        }
    }

    @Test func wixObservesByOffsetPages() async throws {
        try await withEmulator { emulator, base in
            try await emulator.seed(["wix-data": .array((0..<250).map { ["name": .string("w\($0)"), "endpoint": "https://e", "configuration": [:]] })])
            try await withTransport { transport in
                let objects = try await makeProvider(.wixData, base: base, transport: transport).observe(names: nil)
                #expect(objects.count == 250)
            }
            let queries = Set(await emulator.requestLog().compactMap { $0["query"]?.stringValue })
            #expect(queries == ["paging.limit=100&paging.offset=0", "paging.limit=100&paging.offset=100", "paging.limit=100&paging.offset=200"])
        }
    }

    @Test func lerianWaitsOutAJobInProgressWithBackoff() async throws {
        try await withEmulator { emulator, base in
            let id = "0199b8f3-d17d-7d2b-a192-6e91464d82fc"
            try await emulator.seed(["lerian-reporter": [["id": .string(id), "configName": "orders", "type": "POSTGRESQL", "host": "h", "port": 1, "databaseName": "d", "userName": "u"]]])
            await emulator.setLerianJob(id: id, calls: 3)
            let clock = ManualClock()
            try await withTransport { transport in
                let provider = try makeProvider(.lerianReporter, base: base, transport: transport, clock: clock)
                let change = Change(
                    address: Address(provider: "p", name: "orders"), vendor: .lerianReporter, remoteID: id, action: .update,
                    request: RequestSpec(method: "PATCH", path: "/v1/management/connections/\(id)", body: ["port": 2]))
                let response = try await provider.apply(change)
                #expect(response.status == 200)
            }
            #expect(clock.sleeps == [.seconds(1), .seconds(2), .seconds(4)])
        }
    }

    @Test func lerianGivesUpAfterTheMaximumWaitSayingSo() async throws {
        try await withEmulator { emulator, base in
            let id = "0199b8f3-d17d-7d2b-a192-6e91464d82fc"
            try await emulator.seed(["lerian-reporter": [["id": .string(id), "configName": "orders", "type": "POSTGRESQL", "host": "h", "port": 1, "databaseName": "d", "userName": "u"]]])
            await emulator.setLerianJob(id: id, calls: 100)
            try await withTransport { transport in
                let provider = try makeProvider(.lerianReporter, base: base, transport: transport, maximumWait: .seconds(5))
                let change = Change(
                    address: Address(provider: "p", name: "orders"), vendor: .lerianReporter, remoteID: id, action: .update,
                    request: RequestSpec(method: "PATCH", path: "/v1/management/connections/\(id)", body: ["port": 2]))
                do {
                    _ = try await provider.apply(change)
                    Issue.record("a job that never ends must fail the change")
                } catch let error as ProviderError {
                    #expect(error.kind == .jobInProgress)
                    #expect(error.code == "FET-1021")
                    #expect(error.summary.contains("still busy after waiting 5 s"))
                    #expect(error.summary.contains("apply again when it has finished"))
                }
            }
        }
    }

    @Test func dataforSuccessFalseIsAFailureWithTheVendorsCode() async throws {
        try await withEmulator { _, base in
            try await withTransport { transport in
                let provider = try makeProvider(.datafor, base: base, transport: transport)
                let change = Change(
                    address: Address(provider: "p", name: "ghost"), vendor: .datafor, action: .update,
                    request: RequestSpec(method: "POST", path: "/plugin/datafor-modeler/api/connection/update", body: ["name": "ghost", "id": "nope"]))
                do {
                    _ = try await provider.apply(change)
                    Issue.record("success:false must fail")
                } catch let error as ProviderError {
                    #expect(error.kind == .forbidden)
                    #expect(error.code == "CONNECTION_WRITE_FORBIDDEN")
                    #expect(error.status == 200)
                    #expect(error.description.hasPrefix("update p: 200 OK: CONNECTION_WRITE_FORBIDDEN"))
                }
            }
        }
    }

    @Test(arguments: [VendorType.wiremockCloud, .lerianReporter, .credibleData, .datafor, .wixData])
    func badCredentialsAreA401NamingWhatToCheck(_ vendor: VendorType) async throws {
        let credentials = EmulatorCredentials(
            wiremockToken: "right", reporterToken: "right", credibleToken: "right", dataforUser: "admin", dataforPassword: "right", wixToken: "right")
        try await withEmulator(EmulatorConfiguration(credentials: credentials)) { _, base in
            try await withTransport { transport in
                do {
                    _ = try await makeProvider(vendor, base: base, transport: transport).observe(names: nil)
                    Issue.record("wrong credentials must fail")
                } catch let error as ProviderError {
                    #expect(error.kind == .unauthorized)
                    #expect(error.description.hasPrefix("observe p: 401 Unauthorized"))
                    #expect(error.description.contains("check spec.auth of Provider p"))
                    // The credentials sent ("tok", or admin/"pw" for datafor) never appear as a word.
                    let words = Set(error.description.split { !$0.isLetter && !$0.isNumber }.map(String.init))
                    #expect(!words.contains("tok") && !words.contains("pw"))
                }
            }
        }
    }
}
