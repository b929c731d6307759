import ConnSyncModel
import ConnSyncPlan
import Foundation

/// How one vendor is spoken to over HTTP, beyond what every vendor shares (``VendorHTTP``):
/// its auth scheme, its list call, its error envelope and what its answers to changes hold.
/// The generic ``HTTPVendorProvider`` drives it; a vendor whose writes need more than one
/// call implements ``send(_:http:)`` itself.
public protocol VendorAPI: Sendable {
    /// How the Provider's `spec.auth` values are sent.
    var auth: AuthScheme { get }

    /// The list call that reads every remote connection of a Provider.
    func listCall(_ config: ProviderConfig) -> ListCall

    /// Headers every call of a Provider carries (from its settings, e.g. a tenant header).
    func commonHeaders(_ config: ProviderConfig) -> [(String, String)]

    /// The vendor's code and message in an error answer (`envelope` is the parsed body, or
    /// null when it is not JSON; `body` the bytes as they came).
    func errorText(_ envelope: Value, body: Data, status: Int) -> VendorErrorText

    /// Checks a 2xx answer to `change` (some vendors say "failed" with a 200) and reads the
    /// id a created connection got.
    func answer(to change: Change, _ response: HTTPResponse, http: VendorHTTP) throws(ProviderError) -> ApplyResponse

    /// Whether a delete the vendor answers 404 (already gone) has done what it was for.
    var missingIsDeleted: Bool { get }

    /// Sends one change and checks the answer. The default sends the change's request, fails
    /// on a non-2xx answer (but a 404 to a delete when ``missingIsDeleted``), then reads it
    /// with ``answer(to:_:http:)``.
    func send(_ change: Change, http: VendorHTTP) async throws(ProviderError) -> ApplyResponse
}

extension VendorAPI {
    public func commonHeaders(_ config: ProviderConfig) -> [(String, String)] { [] }

    public func answer(to change: Change, _ response: HTTPResponse, http: VendorHTTP) throws(ProviderError) -> ApplyResponse {
        ApplyResponse(status: response.status, remoteID: change.remoteID)
    }

    public var missingIsDeleted: Bool { false }

    public func send(_ change: Change, http: VendorHTTP) async throws(ProviderError) -> ApplyResponse {
        do {
            let response = try await http.sendChange(change)
            return try answer(to: change, response, http: http)
        } catch where change.action == .delete && missingIsDeleted && error.status == 404 {
            return ApplyResponse(status: 404, remoteID: change.remoteID)
        }
    }
}

/// How auth values travel.
public enum AuthScheme: Sendable, Hashable {
    /// `auth.token` in `header`, after `prefix` (`Authorization: Bearer …`, `X-API-Key: …`);
    /// no header when the Provider has no token.
    case token(header: String, prefix: String)
    /// `auth.username` and `auth.password` as HTTP Basic.
    case basic
}

/// What an error answer says, in the vendor's own words.
public struct VendorErrorText: Sendable, Hashable {
    public var code: String?
    public var message: String
    /// The vendor says the connection is busy (a job holds it): the change waits and retries.
    public var isBusy: Bool

    public init(code: String? = nil, message: String, isBusy: Bool = false) {
        self.code = code
        self.message = message
        self.isBusy = isBusy
    }
}

/// A vendor's list call, as data: where it is, where the items are, and how it pages.
public struct ListCall: Sendable {
    public enum Paging: Sendable {
        /// One call answers everything.
        case none
        /// Pages of `size` numbered from `first`, counted by what the first page announces.
        case pages(size: Int, first: Int, count: PageCountRule)
    }

    /// The path and query of page `n` (`Paging.none`: always `first`), with a name filter when
    /// a single name is asked for and the vendor has one.
    public var path: @Sendable (_ page: Int, _ name: String?) -> String
    /// Where the items are in the answer.
    public var items: Items
    public var paging: Paging
    /// Whether the vendor filters by name (then only exact names are kept).
    public var filtersByName: Bool
    /// A check of the parsed answer before its items are read (a vendor that says "failed"
    /// with a 200).
    public var check: (@Sendable (Value, Int, VendorHTTP) -> ProviderError?)?

    public enum Items: Sendable, Hashable {
        /// The answer is the array.
        case array
        /// The array under this key.
        case key(String)
        /// The array under this key, or the answer itself when it is an array (a vendor whose
        /// versions differ).
        case keyOrArray(String)
    }

    public init(
        items: Items, paging: Paging = .none, filtersByName: Bool = false,
        check: (@Sendable (Value, Int, VendorHTTP) -> ProviderError?)? = nil, path: @escaping @Sendable (_ page: Int, _ name: String?) -> String
    ) {
        self.path = path
        self.items = items
        self.paging = paging
        self.filtersByName = filtersByName
        self.check = check
    }
}

/// Where a first list page announces the size of the list (dotted paths into the answer).
public struct PageCountRule: Sendable, Hashable {
    /// The total number of connections.
    public var total: FieldPath?
    /// The number of pages.
    public var totalPages: FieldPath?
    /// A flag saying the vendor could not count: pages are read until a short one.
    public var uncounted: FieldPath?

    public init(total: FieldPath? = nil, totalPages: FieldPath? = nil, uncounted: FieldPath? = nil) {
        self.total = total
        self.totalPages = totalPages
        self.uncounted = uncounted
    }
}
