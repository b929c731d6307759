import ConnSyncModel
import Foundation

/// One vendor's API as the emulator serves it: which paths are its, how it
/// authenticates, its objects (the conforming value itself is the vendor's state,
/// stored in ``EmulatorState``), and its error envelopes. Each vendor is one file or
/// folder; ``EmulatedVendors/all`` lists them. The shared code (responder, faults,
/// latency, request log, admin API, persistence) knows no vendor.
protocol VendorEmulation: Sendable {
    /// The vendor type: the key of seed, snapshot, faults, credentials and rate limits.
    static var name: String { get }

    /// Credential keys (as in a Provider's `spec.auth`: `token`, `username`, `password`)
    /// and the environment variable read for each, without the `CONNSYNC_EMULATOR_` prefix.
    static var environment: [String: String] { get }

    /// The operation `request` asks for, or nil when its path is not this vendor's.
    /// May rewrite `request.path` (a vendor served below any prefix strips the prefix);
    /// leaves `request` unchanged when it answers nil.
    static func route(_ request: inout EmulatorRequest) -> String?

    /// The principal a request authenticates as (the rate-limit key), or the vendor's
    /// own answer when it does not. `credentials` are the configured ones of this
    /// vendor; without them any well-formed header of the vendor's scheme passes.
    static func authenticate(_ request: EmulatorRequest, credentials: [String: String]) -> Result<String, EmulatorResponse>

    /// The answer to an injected fault of `status` that brings no body, in the vendor's envelope.
    static func faultResponse(status: Int, message: String) -> EmulatorResponse

    /// The answer when a configured rate limit refuses a call.
    static var tooManyRequests: EmulatorResponse { get }

    /// Request headers (lower-case) besides `Authorization` that carry this vendor's
    /// credentials: never written to the request log.
    static var credentialHeaders: Set<String> { get }

    /// No objects: the state at start and after a reset.
    init()

    /// Answers an authenticated call; `context` gives ids and takes the "save me" flag.
    mutating func handle(_ request: EmulatorRequest, operation: String, context: inout VendorContext) -> EmulatorResponse

    /// Adds objects given in the vendor's seed shape (the items of `{"<name>": [...]}`).
    mutating func seed(_ items: [Value], context: inout VendorContext) throws(AdminError)

    /// Every stored object in the seed shape, write-only values included (test-only view).
    mutating func snapshot() -> [Value]

    /// A vendor-specific admin call below `/_emulator/`; nil when it is not one of this vendor's.
    mutating func admin(_ request: EmulatorRequest) -> EmulatorResponse?
}

extension VendorEmulation {
    static var credentialHeaders: Set<String> { [] }

    static var tooManyRequests: EmulatorResponse {
        faultResponse(status: 429, message: "Too many requests")
    }

    mutating func admin(_ request: EmulatorRequest) -> EmulatorResponse? { nil }
}

/// What a vendor handler may use besides its own state.
struct VendorContext: Sendable {
    var ids: IDSource
    /// Set by a handler that changed its objects: the state is then saved (`--data`).
    private(set) var changed = false

    init(ids: IDSource) {
        self.ids = ids
    }

    mutating func save() {
        changed = true
    }
}

/// Opaque ids; the counter is shared by all vendors and survives a reset, so an id
/// handed out once is not handed out again by this emulator.
struct IDSource: Sendable {
    private var counter = 0

    /// 12 hex digits: a counter and a random part.
    mutating func hex() -> String {
        counter += 1
        return String(format: "%08x", counter) + String(format: "%04x", Int.random(in: 0..<0xFFFF))
    }

    /// 36 characters in the UUID layout, unique by the counter in its tail.
    mutating func uuid() -> String {
        counter += 1
        let random = UUID().uuidString.lowercased()
        return String(random.prefix(24)) + String(format: "%012x", counter)
    }
}

/// Header checks the vendors share.
enum AuthHeader {
    /// Whether `header` is `<scheme><token>` with a non-blank token equal to `expected` (any token when nil).
    static func scheme(_ header: String, _ scheme: String, expected: String?) -> Bool {
        guard header.hasPrefix(scheme) else { return false }
        let token = String(header.dropFirst(scheme.count))
        guard !token.trimmingCharacters(in: .whitespaces).isEmpty else { return false }
        return expected.map { constantTimeEqual(token, $0) } ?? true
    }

    /// The user and password of an HTTP Basic header; nil when it is not one.
    static func basic(_ header: String) -> (user: String, password: String)? {
        guard header.hasPrefix("Basic "), let decoded = Data(base64Encoded: String(header.dropFirst(6))),
            let pair = String(data: decoded, encoding: .utf8), let colon = pair.firstIndex(of: ":")
        else { return nil }
        return (String(pair[..<colon]), String(pair[pair.index(after: colon)...]))
    }

    /// Compares without an early exit, so timing tells nothing about the expected value.
    static func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8)
        let b = Array(rhs.utf8)
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}

/// Routing for a vendor served below any prefix (`http://host/grafana/api/...`).
enum PrefixRoute {
    /// When `request.path` contains `marker` followed by the end or `/`, strips what
    /// precedes the marker and returns what follows it ("" or "/..."); nil otherwise.
    static func strip(_ marker: String, from request: inout EmulatorRequest) -> String? {
        // Foundation's search: the generic `firstRange(of:)` showed in profiles.
        guard let range = request.path.range(of: marker) else { return nil }
        let rest = String(request.path[range.upperBound...])
        guard rest.isEmpty || rest.hasPrefix("/") else { return nil }
        request.path = marker + rest
        return rest
    }
}
