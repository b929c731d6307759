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
    /// Reads a vendor's list within the bounds of ``Paging``: one call, or the first page and
    /// then the announced pages through a window of the provider's concurrency (or one after
    /// another until a short page), each page at most a page of objects and
    /// ``Paging/maximumPageBytes``, a repeated page ending the read as an invalid answer.
    /// `names`, when it holds one name and the vendor filters by name, lists only that name.
    func list(_ call: ListCall, mapping: any VendorMapping, names: Set<String>?) async throws(ProviderError) -> [RemoteObject] {
        let filter = call.filtersByName && names?.count == 1 ? names?.first : nil
        let objects: [RemoteObject]
        switch call.paging {
        case .none:
            let response = try await send("GET", call.path(1, filter), operation: "observe")
            objects = try remoteObjects(try items(of: response, call).items, mapping: mapping)
        case .pages(let size, let first, let count):
            objects = try await pagedList(call, size: size, firstPage: first, count: count, mapping: mapping, filter: filter)
        }
        guard let filter else { return objects }
        // A name filter may match by substring: keep exact names only.
        return objects.filter { $0.name == filter }
    }

    /// The items of one list answer; a missing or mistyped array fails the provider (it
    /// never reads as "no connections").
    func items(of response: HTTPResponse, _ call: ListCall) throws(ProviderError) -> (answer: Value, items: [Value]) {
        guard Self.isSuccess(response.status) else { throw failure(response, operation: "observe") }
        let answer = try json(response, operation: "observe")
        if let problem = call.check?(answer, response.status, self) { throw problem }
        switch call.items {
        case .array:
            guard let items = answer.arrayValue else {
                throw ProviderError(
                    kind: .invalidResponse, operation: "observe", provider: config.name, status: response.status,
                    message: "expected a JSON array of connections")
            }
            return (answer, items)
        case .key(let key):
            return (answer, try Paging.items(answer, key: key, operation: "observe", provider: config.name))
        case .keyOrArray(let key):
            if let items = answer.arrayValue { return (answer, items) }
            return (answer, try Paging.items(answer, key: key, operation: "observe", provider: config.name))
        }
    }

    private func pagedList(
        _ call: ListCall, size pageSize: Int, firstPage: Int, count rule: PageCountRule, mapping: any VendorMapping, filter: String?
    ) async throws(ProviderError) -> [RemoteObject] {
        let name = config.name
        let fetch: @Sendable (Int) async throws(ProviderError) -> [Value] = { [self] page throws(ProviderError) in
            let response = try await send("GET", call.path(page, filter), operation: "observe", maximumBodySize: Paging.maximumPageBytes)
            return try items(of: response, call).items
        }
        let firstResponse = try await send("GET", call.path(firstPage, filter), operation: "observe", maximumBodySize: Paging.maximumPageBytes)
        let (first, firstItems) = try items(of: firstResponse, call)
        var all = firstItems
        var repeats = RepeatedPageDetector()
        try repeats.record(all, mapping: mapping, page: 1, provider: name, pageSize: pageSize)
        let announced: PageCount
        if let flag = rule.uncounted, first[path: flag]?.boolValue == true {
            announced = .untilShortPage
        } else {
            announced = .known(
                try Paging.pages(
                    total: rule.total.flatMap { first[path: $0]?.intValue }, totalPages: rule.totalPages.flatMap { first[path: $0]?.intValue },
                    firstPageCount: all.count, pageSize: pageSize, operation: "observe", provider: name))
        }
        switch announced {
        case .known(let pages) where pages > 1:
            for (offset, more) in try await fetchPages((firstPage + 1)...(firstPage + pages - 1), fetch: fetch).enumerated() {
                try repeats.record(more, mapping: mapping, page: offset + 2, provider: name, pageSize: pageSize)
                all += more
            }
        case .known:
            break
        case .untilShortPage:
            var last = all.count
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
                all += more
                last = more.count
            }
        }
        return try remoteObjects(all, mapping: mapping)
    }
}
