import ConnSyncEmulator
import ConnSyncModel
import ConnSyncPlan
import ConnSyncProviders
import Foundation
import TestSupport
import Testing

// A vendor that misbehaves, played by a real loopback listener (CaptureServer): its answers
// cannot send credentials elsewhere, hang a run, exhaust memory, or reach a terminal as they
// are (cli.md v1.1, "Trust").

/// A wiremock-cloud list answer of `count` objects with `meta`.
func wiremockPage(_ count: Int, start: Int = 0, meta: String) -> String {
    let items = (start..<(start + count)).map {
        #"{"id":"id\#($0)","connectionName":"c\#($0)","databaseType":"MYSQL","host":"h","port":1,"databaseName":"d","username":"u"}"#
    }
    return #"{"databaseConnections":[\#(items.joined(separator: ","))],"meta":\#(meta)}"#
}

@Suite("Hostile vendors")
struct HostileVendorTests {
    @Test func aRedirectIsNeverFollowedAndTheErrorNamesTheLocationsHost() async throws {
        let elsewhere = try CaptureServer()
        defer { elsewhere.stop() }
        let vendor = try CaptureServer { _ in
            CaptureServer.Reply(status: 302, headers: [("Location", "http://127.0.0.1:\(elsewhere.port)/steal?x=1")], body: "")
        }
        defer { vendor.stop() }
        try await withTransport { transport in
            let provider = try makeProvider(.wiremockCloud, base: vendor.url, transport: transport)
            let error = await #expect(throws: ProviderError.self) { try await provider.observe(names: nil) }
            #expect(error?.kind == .redirected)
            #expect(error?.description.contains("redirects to 127.0.0.1:\(elsewhere.port)") == true)
        }
        #expect(vendor.requests.count == 1)
        #expect(elsewhere.requests.isEmpty, "the redirect was followed")
    }

    @Test func aRedirectToATokenShapedHostIsRedacted() async throws {
        let token = "tok-in-the-host-91"
        let vendor = try CaptureServer { _ in CaptureServer.Reply(status: 302, headers: [("Location", "https://\(token).attacker.example/x")], body: "") }
        defer { vendor.stop() }
        try await withTransport { transport in
            var config = providerConfig(.wixData, base: vendor.url)
            config.auth = ProviderAuth(token: .resolved(token))
            let provider = try VendorRegistry.standard.provider(for: config, transport: transport, jobWait: JobWaitPolicy(clock: ManualClock()))
            let error = await #expect(throws: ProviderError.self) { try await provider.observe(names: nil) }
            #expect(error?.description.contains(token) == false)
            #expect(error?.description.contains("(sensitive).attacker.example") == true, "\(String(describing: error))")
        }
    }

    @Test func aLaterPageCannotHoldMoreThanAPage() async throws {
        let vendor = try CaptureServer { request in
            request.path.contains("page=1&")
                ? CaptureServer.Reply(body: wiremockPage(100, meta: #"{"page":1,"total":300,"totalPages":3}"#))
                : CaptureServer.Reply(body: wiremockPage(5000, start: 1000, meta: #"{"page":2,"total":300,"totalPages":3}"#))
        }
        defer { vendor.stop() }
        try await withTransport { transport in
            let provider = try makeProvider(.wiremockCloud, base: vendor.url, transport: transport)
            let error = await #expect(throws: ProviderError.self) { try await provider.observe(names: nil) }
            #expect(error?.description.contains("holds 5000 connections, more than a page of 100") == true, "\(String(describing: error))")
        }
    }

    @Test func aFullFirstPageWithoutACountIsRefused() async throws {
        let vendor = try CaptureServer { _ in CaptureServer.Reply(body: wiremockPage(100, meta: "{}")) }
        defer { vendor.stop() }
        try await withTransport { transport in
            let provider = try makeProvider(.wiremockCloud, base: vendor.url, transport: transport)
            let error = await #expect(throws: ProviderError.self) { try await provider.observe(names: nil) }
            #expect(error?.description.contains("a full first page without a total or a page count") == true)
        }
    }

    @Test func anAbsurdPageCountFailsTheProviderAfterOneRequest() async throws {
        let vendor = try CaptureServer { _ in CaptureServer.Reply(body: wiremockPage(100, meta: #"{"page":1,"totalPages":1000000}"#)) }
        defer { vendor.stop() }
        try await withTransport { transport in
            let provider = try makeProvider(.wiremockCloud, base: vendor.url, transport: transport)
            let error = await #expect(throws: ProviderError.self) { try await provider.observe(names: nil) }
            #expect(error?.kind == .invalidResponse)
            #expect(error?.description.contains("1000000 pages announced; at most 10000 are read") == true)
        }
        #expect(vendor.requests.count == 1)
    }

    @Test(arguments: [
        (#"{"page":1,"total":5000,"totalPages":50}"#, 3, "the first page holds 3 connections of an announced total of 5000"),
        (#"{"page":1,"total":250,"totalPages":9}"#, 100, "9 pages announced for 250 connections"),
        (#"{"page":1,"totalPages":4}"#, 7, "4 pages announced, but the first page holds only 7"),
    ])
    func aPageCountThatDoesNotFitTheFirstPageIsRefused(_ meta: String, _ count: Int, _ detail: String) async throws {
        let vendor = try CaptureServer { _ in CaptureServer.Reply(body: wiremockPage(count, meta: meta)) }
        defer { vendor.stop() }
        try await withTransport { transport in
            let provider = try makeProvider(.wiremockCloud, base: vendor.url, transport: transport)
            let error = await #expect(throws: ProviderError.self) { try await provider.observe(names: nil) }
            #expect(error?.description.contains(detail) == true, "\(String(describing: error))")
        }
        #expect(vendor.requests.count == 1)
    }

    @Test(arguments: [VendorType.wiremockCloud, .lerianReporter, .credibleData, .datafor, .wixData])
    func aListWithoutItsArrayFailsTheProviderInsteadOfReadingAsEmpty(_ vendor: VendorType) async throws {
        let server = try CaptureServer { _ in CaptureServer.Reply(body: "{}") }
        defer { server.stop() }
        try await withTransport { transport in
            let provider = try makeProvider(vendor, base: server.url, transport: transport)
            let error = await #expect(throws: ProviderError.self) { try await provider.observe(names: nil) }
            #expect(error?.kind == .invalidResponse)
        }
    }

    @Test func aListItemWithoutANameFailsTheProvider() async throws {
        let server = try CaptureServer { _ in CaptureServer.Reply(body: #"{"items":[{"id":"1","configName":"ok"},{"id":"2"}],"total":2}"#) }
        defer { server.stop() }
        try await withTransport { transport in
            let provider = try makeProvider(.lerianReporter, base: server.url, transport: transport)
            let error = await #expect(throws: ProviderError.self) { try await provider.observe(names: nil) }
            #expect(error?.description.contains("1 item of the vendor's list is not a connection object") == true)
        }
    }

    @Test func wixPagesThatRepeatEndTheLoop() async throws {
        let items = (0..<100).map { #"{"name":"w\#($0)","endpoint":"https://e","configuration":{}}"# }.joined(separator: ",")
        let server = try CaptureServer { _ in
            CaptureServer.Reply(body: #"{"externalDatabaseConnections":[\#(items)],"pagingMetadata":{"count":100,"tooManyToCount":true}}"#)
        }
        defer { server.stop() }
        try await withTransport { transport in
            let provider = try makeProvider(.wixData, base: server.url, transport: transport)
            let error = await #expect(throws: ProviderError.self) { try await provider.observe(names: nil) }
            #expect(error?.description.contains("page 2 of the vendor's list repeats earlier pages") == true)
        }
        #expect(server.requests.count == 2)
    }

    @Test func pagesAreFetchedWithTheProvidersConcurrencyAtMost() async throws {
        try await withEmulator(EmulatorConfiguration(latency: .milliseconds(15))) { emulator, base in
            try await emulator.seed([
                "lerian-reporter": .array((0..<2000).map { ["configName": .string("r\($0)"), "type": "MYSQL", "host": "h", "port": 1, "databaseName": "d", "userName": "u"] })
            ])
            try await withTransport(maximumConnectionsPerHost: 32) { transport in
                let counting = InFlightCounter(base: transport)
                var config = providerConfig(.lerianReporter, base: base)
                config.concurrency = 3
                let provider = try VendorRegistry.standard.provider(for: config, transport: counting, jobWait: JobWaitPolicy(clock: ManualClock()))
                #expect(try await provider.observe(names: nil).count == 2000)
                #expect(counting.peak <= 3)
                #expect(counting.total == 20)
            }
        }
    }

    @Test func aBodySentByteByByteHitsTheWholeRequestDeadline() async throws {
        let server = try CaptureServer { _ in CaptureServer.Reply(body: String(repeating: " ", count: 200) + "{}", byteInterval: 0.05) }
        defer { server.stop() }
        try await withTransport(timeout: .seconds(1)) { transport in
            // The whole answer takes 10 s: only a deadline that covers the body makes this a timeout
            // (one on the headers alone would let it succeed).
            let error = await #expect(throws: TransportError.self) { try await transport.send(get(server.url)) }
            #expect(error.map { if case .timedOut = $0 { true } else { false } } == true, "\(String(describing: error))")
        }
    }

    /// An answer larger than the request allows fails as too large, whether its length is
    /// announced (Content-Length) or not: it is never read into memory whole.
    @Test func anAnswerLargerThanAllowedFailsAsTooLarge() async throws {
        let server = try CaptureServer { _ in CaptureServer.Reply(body: "[" + String(repeating: "1,", count: 40_000) + "1]") }
        defer { server.stop() }
        try await withTransport { transport in
            var request = get(server.url)
            request.maximumBodySize = 64 << 10
            let error = await #expect(throws: TransportError.self) { try await transport.send(request) }
            #expect(error == .bodyTooLarge(url: request.url, limit: 64 << 10), "\(String(describing: error))")
            // Within the limit, the same answer is read.
            request.maximumBodySize = 1 << 20
            let answer = try await transport.send(request)
            #expect(answer.body.count == 80_003)
        }
    }

    @Test func vendorTextIsRedactedEscapedAndBounded() async throws {
        let token = "echoed-token-7c1f"
        let server = try CaptureServer { _ in
            CaptureServer.Reply(status: 400, body: #"{"message":"bad token \#(token)\u001b[2J\u001b]0;owned\u0007 \#(String(repeating: "z", count: 900))"}"#)
        }
        defer { server.stop() }
        try await withTransport { transport in
            var config = providerConfig(.wixData, base: server.url)
            config.auth = ProviderAuth(token: .resolved(token))
            let provider = try VendorRegistry.standard.provider(for: config, transport: transport, jobWait: JobWaitPolicy(clock: ManualClock()))
            let error = await #expect(throws: ProviderError.self) { try await provider.observe(names: nil) }
            let text = error?.description ?? ""
            #expect(!text.contains(token))
            #expect(text.contains("bad token (sensitive)"))
            #expect(!text.contains("\u{1B}") && !text.contains("\u{07}"))
            #expect((error?.message.count ?? 1000) <= VendorText.limit + 1)
        }
    }

    @Test func aSecretOfTheDesiredStateEchoedByTheVendorIsRedacted() async throws {
        let password = "Orders-DB-pass-echo-1"
        let server = try CaptureServer { _ in CaptureServer.Reply(status: 422, body: #"{"errors":[{"title":"Invalid","detail":"password \#(password) is weak"}]}"#) }
        defer { server.stop() }
        try await withTransport { transport in
            let provider = try VendorRegistry.standard.provider(
                for: providerConfig(.wiremockCloud, base: server.url), transport: transport, jobWait: JobWaitPolicy(clock: ManualClock()),
                redactor: Redactor(secrets: [password]))
            let error = await #expect(throws: ProviderError.self) { try await provider.observe(names: nil) }
            #expect(error?.description.contains("password (sensitive) is weak") == true, "\(String(describing: error))")
        }
    }

    @Test func aHeaderValueWithALineBreakIsRefusedWithoutShowingIt() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await withTransport { transport in
            var config = providerConfig(.wixData, base: server.url)
            config.auth = ProviderAuth(token: .resolved("mounted-token-value\n"))
            let provider = try VendorRegistry.standard.provider(for: config, transport: transport, jobWait: JobWaitPolicy(clock: ManualClock()))
            let error = await #expect(throws: ProviderError.self) { try await provider.observe(names: nil) }
            #expect(error?.description.contains("the Authorization header would hold a control character") == true)
            #expect(error?.description.contains("mounted-token-value") == false)
            // Below the providers, the client's own error never shows the value either.
            let direct = await #expect(throws: TransportError.self) {
                try await transport.send(HTTPRequest(method: "GET", url: server.url + "/", headers: HTTPHeaders([("Authorization", "raw-token-value\r\nX: y")])))
            }
            #expect(direct?.description.contains("raw-token-value") == false)
        }
        #expect(server.requests.isEmpty)
    }
}

@Suite("Retry budget")
struct RetryBudgetTests {
    @Test func retryAfterIsCappedAtOneMinuteAndRetriesEndWithinThreeMinutes() async throws {
        try await withEmulator { emulator, base in
            try await emulator.addFault(["path": .string(wixList), "count": 10, "status": 429, "retryAfter": 999999])
            let clock = ManualClock()
            try await withTransport { transport in
                let retrying = RetryingTransport(base: transport, policy: RetryPolicy(maxAttempts: 10), clock: clock, random: SeededRandom(seed: 1))
                let answer = try await retrying.send(get(base))
                #expect(answer.status == 429)
            }
            #expect(clock.sleeps.allSatisfy { $0 <= .seconds(60) })
            #expect(clock.sleeps.reduce(.zero, +) <= .seconds(180))
            #expect(clock.sleeps == [.seconds(60), .seconds(60), .seconds(60)])
        }
    }
}

@Suite("Host allow-list")
struct HostAllowListTests {
    @Test(arguments: [
        (["api.example.com"], "https://api.example.com/x", true), (["api.example.com"], "https://API.example.com.", true),
        (["api.example.com"], "https://evil.com/?h=api.example.com", false), (["*.example.com"], "https://a.b.example.com", true),
        (["*.example.com"], "https://example.com", false), (["*.example.com"], "https://evilexample.com", false),
        (["127.0.0.1:8443"], "http://127.0.0.1:8443", true), (["127.0.0.1:8443"], "http://127.0.0.1:9000", false),
        (["api.example.com:443"], "https://api.example.com", true), (["[::1]:8080"], "http://[::1]:8080/x", true),
        ([], "https://anything.example", true),
    ])
    func patternsMatchHostsAndPorts(_ patterns: [String], _ url: String, _ allowed: Bool) throws {
        #expect(try HostAllowList(patterns: patterns).allows(url) == allowed)
    }

    @Test func aBadPatternIsAnError() {
        #expect(throws: HostPatternError.self) { try HostAllowList(patterns: ["https://x.example"]) }
        #expect(throws: HostPatternError.self) { try HostAllowList(patterns: ["::1"]) }
        #expect(throws: HostPatternError.self) { try HostAllowList(patterns: ["a.*.example"]) }
    }
}

/// Counts requests in flight through it (a decorator: every request really goes out).
final class InFlightCounter: HTTPTransport, @unchecked Sendable {
    let base: any HTTPTransport
    private let lock = NSLock()
    private var current = 0
    private(set) var peak = 0
    private(set) var total = 0

    init(base: any HTTPTransport) {
        self.base = base
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        lock.withLock {
            current += 1
            total += 1
            peak = max(peak, current)
        }
        defer { lock.withLock { current -= 1 } }
        return try await base.send(request)
    }
}
