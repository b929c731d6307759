import ConnSyncModel
import ConnSyncPlan

/// The bounds every paged list is read within (cli.md v1.1, "Trust"): a vendor's answer
/// cannot make a run unbounded.
enum Paging {
    /// More pages than this is an invalid answer.
    static let maximumPages = 10_000

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
        }
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

    /// Records the page's items; throws when all of them were on earlier pages.
    mutating func record(_ items: [Value], mapping: any VendorMapping, page: Int, provider: String) throws(ProviderError) {
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
