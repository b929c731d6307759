import ConnSyncEmulator
import ConnSyncModel
import ConnSyncProviders
import Foundation
import TestSupport
import Testing

// The HTTP layer over real loopback sockets, against the emulator (a real HTTP server whose
// fault injection scripts the answers). Only the clock is virtual, so no test sleeps for a backoff.

/// An emulator started for one test.
func withEmulator<T>(_ configuration: EmulatorConfiguration = EmulatorConfiguration(), _ body: (Emulator, String) async throws -> T)
    async throws -> T
{
    let emulator = Emulator(configuration: configuration)
    let port = try await emulator.start()
    do {
        let result = try await body(emulator, "http://127.0.0.1:\(port)")
        await emulator.stop()
        return result
    } catch {
        await emulator.stop()
        throw error
    }
}

/// A transport for one test, shut down afterwards.
func withTransport<T>(maximumConnectionsPerHost: Int = 8, timeout: Duration = .seconds(60), _ body: (NIOHTTPTransport) async throws -> T)
    async throws -> T
{
    let transport = NIOHTTPTransport(maximumConnectionsPerHost: maximumConnectionsPerHost, timeout: timeout)
    do {
        let result = try await body(transport)
        await transport.shutdown()
        return result
    } catch {
        await transport.shutdown()
        throw error
    }
}

/// Sends `request` `count` times, one after another, over one transport (one pool): what a
/// connection-reuse test asserts over.
func answers(_ count: Int, to request: HTTPRequest) async throws -> [HTTPResponse] {
    try await withTransport { transport in
        var answers: [HTTPResponse] = []
        for _ in 0..<count { answers.append(try await transport.send(request)) }
        return answers
    }
}

let wixList = "/wix-data/v1/external-database-connections"

func get(_ base: String, _ path: String = wixList, auth: String = "tok") -> HTTPRequest {
    HTTPRequest(method: "GET", url: base + path, headers: HTTPHeaders([("Authorization", auth)]))
}

@Suite("HTTP transport")
struct TransportTests {
    @Test func sendsTheContractHeadersAndReusesOneConnection() async throws {
        try await withEmulator { emulator, base in
            try await withTransport { transport in
                for _ in 0..<10 {
                    let response = try await transport.send(get(base))
                    #expect(response.status == 200)
                }
                let body = Value.object(["externalDatabaseConnection": ["name": "x", "endpoint": "https://e", "configuration": [:]]])
                let created = try await transport.send(
                    HTTPRequest(method: "POST", url: base + wixList, headers: HTTPHeaders([("Authorization", "tok")]), body: try body.jsonData()))
                #expect(created.status == 200)
            }
            let log = await emulator.requestLog()
            let headers = try #require(log.last?["headers"])
            #expect(headers["user-agent"] == .string(ConnSyncVersion.userAgent))
            #expect(headers["accept"] == "application/json")
            #expect(headers["content-type"] == "application/json")
            #expect(log.first?["headers"]?["content-type"] == nil)
            #expect(headers["authorization"] == nil)
            #expect(emulator.connectionCounts.opened == 1)
        }
    }

    @Test func concurrentRequestsUseAtMostThePoolsConnections() async throws {
        try await withEmulator(EmulatorConfiguration(latency: .milliseconds(20))) { emulator, base in
            try await withTransport(maximumConnectionsPerHost: 8) { transport in
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<64 { group.addTask { try await transport.send(get(base)).status } }
                    for try await status in group { #expect(status == 200) }
                }
            }
            #expect(emulator.connectionCounts.opened <= 8)
            #expect(emulator.connectionCounts.opened >= 2)
        }
    }

    @Test func timeoutsAndRefusedConnectionsAreTypedWithoutSecrets() async throws {
        try await withEmulator { emulator, base in
            try await emulator.addFault(["action": "delay", "delayMs": 700, "path": .string(wixList)])
            try await withTransport(timeout: .milliseconds(200)) { transport in
                do {
                    _ = try await transport.send(get(base + "", wixList + "?token=query-secret", auth: "Bearer auth-secret"))
                    Issue.record("expected a timeout")
                } catch let error as TransportError {
                    guard case .timedOut = error else { throw error }
                    #expect(error.isTransient)
                    #expect(!error.description.contains("query-secret") && !error.description.contains("auth-secret"))
                }
            }
        }
        // A closed loopback port.
        try await withTransport { transport in
            do {
                _ = try await transport.send(HTTPRequest(method: "GET", url: "http://user:url-secret@127.0.0.1:9/x?k=query-secret"))
                Issue.record("expected a connection failure")
            } catch let error as TransportError {
                guard case .connectionFailed = error else { throw error }
                #expect(!error.description.contains("url-secret") && !error.description.contains("query-secret"))
                #expect(error.description.contains("127.0.0.1:9/x"))
            }
        }
    }

    @Test func descriptionsNeverShowHeadersOrBodies() {
        let request = HTTPRequest(
            method: "PATCH", url: "https://u:p@api.example/x?token=q", headers: HTTPHeaders([("Authorization", "Token abc")]),
            body: Data("{\"password\":\"hunter2\"}".utf8))
        let texts = [String(describing: request), String(describing: request.headers), String(describing: HTTPResponse(status: 200, body: Data("hunter2".utf8)))]
        for text in texts {
            #expect(!text.contains("hunter2") && !text.contains("abc") && !text.contains(":p@") && !text.contains("token=q"))
        }
        #expect(String(describing: request) == "PATCH https://api.example/x")
    }
}

@Suite("Retries")
struct RetryTests {
    func retrying(_ base: any HTTPTransport, clock: ManualClock, attempts: Int = 5) -> RetryingTransport {
        RetryingTransport(base: base, policy: RetryPolicy(maxAttempts: attempts), clock: clock, random: SeededRandom(seed: 42))
    }

    @Test func a429IsRetriedAfterItsRetryAfterSeconds() async throws {
        try await withEmulator { emulator, base in
            try await emulator.addFault(["path": .string(wixList), "count": 2, "status": 429, "retryAfter": 7])
            let clock = ManualClock()
            try await withTransport { transport in
                let response = try await retrying(transport, clock: clock).send(get(base))
                #expect(response.status == 200)
            }
            #expect(clock.sleeps == [.seconds(7), .seconds(7)])
            #expect(await emulator.requestLog().map { $0["status"] } == [429, 429, 200])
        }
    }

    @Test func aRetryAfterHTTPDateIsHonoured() async throws {
        let clock = ManualClock(date: Date(timeIntervalSince1970: 1_800_000_000))
        let date = "Fri, 15 Jan 2027 08:00:05 GMT"  // 5 s after the clock's now
        try await withEmulator { emulator, base in
            try await emulator.addFault(["path": .string(wixList), "count": 1, "status": 503, "retryAfter": .string(date)])
            try await withTransport { transport in
                let answer = try await retrying(transport, clock: clock).send(get(base))
                #expect(answer.status == 200)
            }
        }
        #expect(clock.sleeps == [.seconds(5)])
        #expect(RetryPolicy().retryAfter("600", now: Date()) == .seconds(60))
    }

    @Test(arguments: [502, 503, 504])
    func serverErrorsBackOffExponentiallyWithJitter(_ status: Int) async throws {
        try await withEmulator { emulator, base in
            try await emulator.addFault(["path": .string(wixList), "count": 3, "status": .int(status)])
            let clock = ManualClock()
            try await withTransport { transport in
                let answer = try await retrying(transport, clock: clock).send(get(base))
                #expect(answer.status == 200)
            }
            #expect(clock.sleeps.count == 3)
            let ceilings: [Duration] = [.milliseconds(250), .milliseconds(500), .milliseconds(1000)]
            for (sleep, ceiling) in zip(clock.sleeps, ceilings) {
                #expect(sleep >= .zero && sleep <= ceiling)
            }
        }
    }

    @Test func aDroppedConnectionIsRetriedWithTheSameBody() async throws {
        try await withEmulator { emulator, base in
            try await emulator.addFault(["method": "POST", "path": .string(wixList), "count": 1, "action": "drop"])
            let clock = ManualClock()
            let body = Value.object(["externalDatabaseConnection": ["name": "x", "endpoint": "https://e", "configuration": ["k": "v"]]])
            try await withTransport { transport in
                let response = try await retrying(transport, clock: clock).send(
                    HTTPRequest(method: "POST", url: base + wixList, headers: HTTPHeaders([("Authorization", "t")]), body: try body.jsonData()))
                #expect(response.status == 200)
            }
            let posts = await emulator.requestLog().filter { $0["method"] == "POST" }
            #expect(posts.map { $0["status"] } == [0, 200])
            #expect(posts[0]["body"] == posts[1]["body"])
            #expect(clock.sleeps.count == 1)
        }
    }

    @Test(arguments: [400, 401, 404, 409, 422, 500])
    func otherStatusesAreNeverRetried(_ status: Int) async throws {
        try await withEmulator { emulator, base in
            try await emulator.addFault(["path": .string(wixList), "count": 1, "status": .int(status)])
            let clock = ManualClock()
            try await withTransport { transport in
                let answer = try await retrying(transport, clock: clock).send(get(base))
                #expect(answer.status == status)
            }
            #expect(clock.sleeps.isEmpty)
            #expect(await emulator.requestLog().count == 1)
        }
    }

    @Test func afterMaxAttemptsTheLastAnswerSurfaces() async throws {
        try await withEmulator { emulator, base in
            try await emulator.addFault(["path": .string(wixList), "count": 10, "status": 503])
            let clock = ManualClock()
            try await withTransport { transport in
                let answer = try await retrying(transport, clock: clock, attempts: 3).send(get(base))
                #expect(answer.status == 503)
            }
            #expect(await emulator.requestLog().count == 3)
            #expect(clock.sleeps.count == 2)
        }
    }

    @Test func connectionFailuresAreRetriedThenSurface() async throws {
        let clock = ManualClock()
        try await withTransport { transport in
            await #expect(throws: TransportError.self) {
                _ = try await retrying(transport, clock: clock, attempts: 3).send(HTTPRequest(method: "GET", url: "http://127.0.0.1:9/x"))
            }
        }
        #expect(clock.sleeps.count == 2)
    }
}

@Suite("Limiters")
struct LimiterTests {
    @Test func rateLimiterAllowsABurstThenSpacesRequests() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(limit: RateLimit(count: 5, per: .second), clock: clock)
        for _ in 0..<5 { try await limiter.acquire() }
        #expect(clock.sleeps.isEmpty)
        for _ in 0..<3 { try await limiter.acquire() }
        // 5/s: after the burst, one every 200 ms (each waiter sleeps until its slot).
        #expect(clock.sleeps == [.milliseconds(200), .milliseconds(200), .milliseconds(200)])
    }

    @Test func rateLimitPerMinute() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(limit: RateLimit(count: 200, per: .minute), clock: clock)
        for _ in 0..<201 { try await limiter.acquire() }
        #expect(clock.sleeps == [.milliseconds(300)])
    }

    @Test func concurrencyLimitersNeverExceedTheirLimitAndCompose() async throws {
        try await withEmulator(EmulatorConfiguration(latency: .milliseconds(10))) { _, base in
            try await withTransport(maximumConnectionsPerHost: 16) { transport in
                let global = ConcurrencyLimiter(limit: 6)
                let providerA = ConcurrencyLimiter(limit: 4)
                let providerB = ConcurrencyLimiter(limit: 4)
                let a = ConcurrencyLimitedTransport(base: ConcurrencyLimitedTransport(base: transport, limiter: providerA), limiter: global)
                let b = ConcurrencyLimitedTransport(base: ConcurrencyLimitedTransport(base: transport, limiter: providerB), limiter: global)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<60 {
                        let target = index.isMultiple(of: 2) ? a : b
                        group.addTask { _ = try await target.send(get(base)) }
                    }
                    try await group.waitForAll()
                }
                let globalCounters = await global.counters
                #expect(globalCounters.peakInFlight <= 6)
                #expect(globalCounters.completed == 60)
                #expect(await providerA.counters.peakInFlight <= 4)
                #expect(await providerB.counters.peakInFlight <= 4)
                #expect(globalCounters.inFlight == 0)
            }
        }
    }

    @Test func aCancelledWaiterLeavesWithoutLeakingAPermit() async throws {
        let limiter = ConcurrencyLimiter(limit: 1)
        try await limiter.acquire()
        let waiter = Task { try await limiter.acquire() }
        try await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        await limiter.release()
        // The permit is free again: an acquire succeeds at once.
        try await limiter.acquire()
        #expect(await limiter.counters.inFlight == 1)
        #expect(await limiter.counters.waiting == 0)
    }

    @Test func aLimiterStartedLowGrowsByOneWithEverySuccess() async throws {
        let limiter = ConcurrencyLimiter(limit: 5, startingAt: 2)
        #expect(await limiter.current == 2)
        try await limiter.acquire()
        try await limiter.acquire()
        // A third waits: the limit is still two.
        let third = Task { try await limiter.acquire() }
        while await limiter.counters.waiting == 0 { await Task.yield() }
        #expect(await limiter.counters.inFlight == 2)
        // A failure gives the permit back without growing the limit: the waiter takes it.
        await limiter.release(succeeded: false)
        try await third.value
        #expect(await limiter.current == 2)
        // Successes grow it, one each, up to the limit and no further.
        for expected in [3, 4, 5, 5] {
            await limiter.release(succeeded: true)
            try await limiter.acquire()
            #expect(await limiter.current == expected)
        }
        // Grown, it lets several waiters in at once.
        #expect(await limiter.counters.inFlight == 2)
        try await limiter.acquire()
        try await limiter.acquire()
        try await limiter.acquire()
        #expect(await limiter.counters.inFlight == 5)
        #expect(await limiter.counters.peakInFlight == 5)
    }

    @Test func connectionsToOneHostGrowOnDemand() async throws {
        // Each answer takes a while, so that the burst really waits for connections.
        let server = try CaptureServer { _ in
            Thread.sleep(forTimeInterval: 0.02)
            return CaptureServer.Reply()
        }
        defer { server.stop() }
        let transport = NIOHTTPTransport(maximumConnectionsPerHost: 64, timeout: .seconds(60))
        // A burst of 64 requests opens no more connections than the ramp allows at first,
        // plus one per answer: never 64 at once.
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<64 { group.addTask { try await transport.send(HTTPRequest(method: "GET", url: server.url + "/x")).status } }
            for try await status in group { #expect(status == 200) }
        }
        await transport.shutdown()
        #expect(server.requests.count == 64)
        #expect(server.connections < 64, "\(server.connections) connections for 64 requests")
        #expect(server.connections >= NIOHTTPTransport.initialConnectionsPerHost)
    }
}
