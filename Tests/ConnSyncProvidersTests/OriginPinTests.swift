import ConnSyncModel
@testable import ConnSyncProviders
import Foundation
import TestSupport
import Testing

// Defence in depth behind the allow list: the allow list and the trusted source judge a
// Provider's base URL, so a path (built from names and ids a vendor answered) must never take
// a request, and its credentials, to another origin.

@Suite("Requests stay on the base URL's origin")
struct OriginPinTests {
    static let token = "tok-origin-pin-7731"

    func http(base: String, transport: any HTTPTransport) throws -> VendorHTTP {
        let config = ProviderConfig(name: "p", type: .wiremockCloud, baseURL: base, auth: ProviderAuth(token: .resolved(Self.token)))
        let definition = try #require(VendorRegistry.standard.definition(for: .wiremockCloud))
        return try VendorHTTP(config: config, definition: definition, transport: transport)
    }

    @Test(arguments: ["@127.0.0.2:9/steal", "evil", ":1/x", ".evil.example/x", "?q=1"])
    func aPathThatWouldLeaveTheOriginIsRefusedBeforeSending(path: String) async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await withTransport { transport in
            let http = try http(base: server.url, transport: transport)
            let error = await #expect(throws: ProviderError.self) { try await http.send("GET", path, operation: "observe") }
            #expect(error?.kind == .configuration)
            #expect(error?.message.contains("nothing was sent") == true)
            #expect(error.map { "\($0)" }?.contains(Self.token) == false)
            // The same client still reaches the configured origin.
            let fine = try await http.send("GET", "/v1/ok", operation: "observe")
            #expect(fine.status == 200)
        }
        #expect(server.requests.map(\.path) == ["/v1/ok"])
    }

    @Test func aBaseURLWithAPathKeepsItsOriginForEveryRequest() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await withTransport { transport in
            let http = try http(base: server.url + "/api/", transport: transport)
            _ = try await http.send("GET", "/items/%40x", operation: "observe")
            _ = try await http.send("GET", "//127.0.0.2/x", operation: "observe")
        }
        #expect(server.requests.map(\.path) == ["/api/items/%40x", "/api//127.0.0.2/x"])
    }

    /// A base URL the request builder cannot use (port 0, a host beyond ASCII) says so when
    /// the provider is built, and does not blame the vendor's answer.
    @Test(arguments: ["http://127.0.0.1:0", "http://bücher.example"])
    func anUnusableBaseURLIsNamedAsSuch(base: String) async throws {
        try await withTransport { transport in
            let error = #expect(throws: ProviderError.self) { try http(base: base, transport: transport) }
            #expect(error?.kind == .configuration)
            #expect(error?.message.contains("spec.baseURL of Provider p cannot be used as a request URL") == true, "\(String(describing: error))")
        }
    }
}
