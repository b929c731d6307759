import ConnSyncModel
import ConnSyncPlan

/// The bounds every paged list is read within (cli.md v1.1, "Trust"): a vendor's answer
/// cannot make a run unbounded.
enum Paging {
    /// More pages than this is an invalid answer.
    static let maximumPages = 10_000
    /// The largest list page read (a page holds at most a page size of objects).
    static let maximumPageBytes = 8 << 20

    /// The pages a list announces, checked against what its first page showed: `total` items
    /// and/or `totalPages` pages of `pageSize`, where the first page holds `firstPageCount`.
    /// A count that does not fit, or more than ``maximumPages``, is an invalid response.
    static func pages(
        total: Int?, totalPages: Int?, firstPageCount: Int, pageSize: Int, operation: String, provider: String
    ) throws(ProviderError) -> Int {
        func invalid(_ detail: String) -> ProviderError {
            ProviderError(
                kind: .invalidResponse, operation: operation, provider: provider,
                message: "the vendor's list answer does not fit together (\(detail)); connsync does not plan from it")
        }
        if let total, total < 0 { throw invalid("a negative total") }
        if let totalPages, totalPages < 0 { throw invalid("a negative page count") }
        var pages = 1
        if let total {
            pages = max(1, (total + pageSize - 1) / pageSize)
            guard firstPageCount == min(total, pageSize) else {
                throw invalid("the first page holds \(firstPageCount) connections of an announced total of \(total)")
            }
            if let totalPages, totalPages != pages, !(total == 0 && totalPages == 0) {
                throw invalid("\(totalPages) pages announced for \(total) connections in pages of \(pageSize)")
            }
        } else if let totalPages {
            pages = max(1, totalPages)
            guard pages == 1 || firstPageCount == pageSize else {
                throw invalid("\(totalPages) pages announced, but the first page holds only \(firstPageCount) of \(pageSize)")
            }
        } else if firstPageCount >= pageSize {
            throw invalid("a full first page without a total or a page count")
        }
        guard firstPageCount <= pageSize else { throw invalid("the first page holds \(firstPageCount) connections, more than a page of \(pageSize)") }
        guard pages <= maximumPages else { throw invalid("\(pages) pages announced; at most \(maximumPages) are read") }
        return pages
    }

    /// The array under `key` of a list answer; a missing or mistyped one fails the provider
    /// (it never reads as "no connections").
    static func items(_ answer: Value, key: String, operation: String, provider: String) throws(ProviderError) -> [Value] {
        guard let items = answer[key]?.arrayValue else {
            throw ProviderError(
                kind: .invalidResponse, operation: operation, provider: provider,
                message: "the vendor's list answer has no '\(key)' array; connsync does not plan from it")
        }
        return items
    }
}

/// Detects a page that repeats an earlier one (every item already seen), which ends a list
/// loop as an invalid answer instead of reading forever.
struct RepeatedPageDetector {
    private var seen: Set<String> = []

    /// Records the page's items; throws when all of them were on earlier pages, or when the
    /// page holds more than a page (`pageSize`): a later page cannot grow the list at will.
    mutating func record(_ items: [Value], mapping: any VendorMapping, page: Int, provider: String, pageSize: Int = 100) throws(ProviderError) {
        guard items.count <= pageSize else {
            throw ProviderError(
                kind: .invalidResponse, operation: "observe", provider: provider,
                message: "page \(page) of the vendor's list holds \(items.count) connections, more than a page of \(pageSize); connsync does not plan from it")
        }
        var fresh = false
        for item in items {
            let key = mapping.identity(of: item).map { "\($0.id ?? "")\u{1F}\($0.name)" } ?? item.description
            if seen.insert(key).inserted { fresh = true }
        }
        if !items.isEmpty, !fresh {
            throw ProviderError(
                kind: .invalidResponse, operation: "observe", provider: provider,
                message: "page \(page) of the vendor's list repeats earlier pages; connsync stopped reading it")
        }
    }
}

/// How many pages a list has, as its first page announced it.
enum PageCount {
    case known(Int)
    /// The vendor cannot count: pages one after another until a short one.
    case untilShortPage
}

extension VendorHTTP {
    /// Reads a paged list within the bounds of ``Paging``: the first page, then the announced
    /// pages through a window of the provider's concurrency (or one after another until a
    /// short page), each page at most a page of objects and ``Paging/maximumPageBytes``, a
    /// repeated page ending the read as an invalid answer.
    ///
    /// - Parameters:
    ///   - path: the path and query of page number `n` (`firstPage`, `firstPage + 1`, ...).
    ///   - announced: what the first page says of the pages to come.
    func pagedList(
        key: String, mapping: any VendorMapping, pageSize: Int, firstPage: Int = 1, path: @escaping @Sendable (Int) -> String,
        announced: (Value, [Value]) throws(ProviderError) -> PageCount
    ) async throws(ProviderError) -> [RemoteObject] {
        let name = config.name
        let fetch: @Sendable (Int) async throws(ProviderError) -> [Value] = { [self] page throws(ProviderError) in
            let response = try await send("GET", path(page), operation: "observe", maximumBodySize: Paging.maximumPageBytes)
            guard Self.isSuccess(response.status) else { throw failure(response, operation: "observe") }
            return try Paging.items(try json(response, operation: "observe"), key: key, operation: "observe", provider: name)
        }
        let firstResponse = try await send("GET", path(firstPage), operation: "observe", maximumBodySize: Paging.maximumPageBytes)
        guard Self.isSuccess(firstResponse.status) else { throw failure(firstResponse, operation: "observe") }
        let first = try json(firstResponse, operation: "observe")
        var items = try Paging.items(first, key: key, operation: "observe", provider: name)
        var repeats = RepeatedPageDetector()
        try repeats.record(items, mapping: mapping, page: 1, provider: name, pageSize: pageSize)
        switch try announced(first, items) {
        case .known(let pages) where pages > 1:
            for (offset, more) in try await fetchPages((firstPage + 1)...(firstPage + pages - 1), fetch: fetch).enumerated() {
                try repeats.record(more, mapping: mapping, page: offset + 2, provider: name, pageSize: pageSize)
                items += more
            }
        case .known:
            break
        case .untilShortPage:
            var last = items.count
            var page = 1
            while last == pageSize {
                page += 1
                guard page <= Paging.maximumPages else {
                    throw ProviderError(
                        kind: .invalidResponse, operation: "observe", provider: name,
                        message: "the vendor's list goes on past \(Paging.maximumPages) pages; connsync stopped reading it")
                }
                let more = try await fetch(firstPage + page - 1)
                try repeats.record(more, mapping: mapping, page: page, provider: name, pageSize: pageSize)
                items += more
                last = more.count
            }
        }
        return try remoteObjects(items, mapping: mapping)
    }
}
