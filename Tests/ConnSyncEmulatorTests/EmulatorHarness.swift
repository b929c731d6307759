import AsyncHTTPClient
import ConnSyncEmulator
import ConnSyncModel
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// An emulator on a free loopback port and a real HTTP client (AsyncHTTPClient) to call it.
final class EmulatorHarness: @unchecked Sendable {
    let emulator: Emulator
    let base: String
    let client: HTTPClient

    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var text: String
        var json: Value? { try? Value(json: text) }
    }

    static func start(_ configuration: EmulatorConfiguration = EmulatorConfiguration()) async throws -> EmulatorHarness {
        let emulator = Emulator(configuration: configuration)
        let port = try await emulator.start()
        return EmulatorHarness(emulator: emulator, base: "http://127.0.0.1:\(port)")
    }

    init(emulator: Emulator, base: String) {
        self.emulator = emulator
        self.base = base
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
    }

    /// Calls the emulator; `auth` is the exact Authorization header (nil: none).
    func call(
        _ method: String, _ path: String, auth: String?, headers: [String: String] = [:], json body: Value? = nil, raw: String? = nil
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: base + path)
        request.method = HTTPMethod(rawValue: method)
        if let auth { request.headers.add(name: "Authorization", value: auth) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try body.jsonData(secrets: .reveal)))
        } else if let raw {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: raw))
        }
        let response = try await client.execute(request, timeout: .seconds(10))
        let buffer = try await response.body.collect(upTo: 32 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, text: String(buffer: buffer))
    }

    func shutdown() async {
        try? await client.shutdown()
        await emulator.stop()
    }

    /// Runs `body` with a fresh emulator, stopping it afterwards.
    static func with<T>(_ configuration: EmulatorConfiguration = EmulatorConfiguration(), _ body: (EmulatorHarness) async throws -> T)
        async throws -> T
    {
        let harness = try await start(configuration)
        do {
            let result = try await body(harness)
            await harness.shutdown()
            return result
        } catch {
            await harness.shutdown()
            throw error
        }
    }
}
