import ConnSyncModel
import Foundation

/// A request as the vendor handlers see it.
struct EmulatorRequest: Sendable {
    var method: String
    /// Percent-decoded path, without the prefix of a vendor served below any prefix.
    var path: String
    /// The raw query string (for the request log).
    var rawQuery: String
    /// Query items, percent-decoded; the last of a repeated name wins.
    var query: [String: String]
    /// Header names lower-cased.
    var headers: [String: String]
    var body: Data
    /// The body as JSON, parsed once; `nil` when it is not JSON (or empty).
    let json: Value?

    init(method: String, path: String, rawQuery: String, query: [String: String], headers: [String: String], body: Data) {
        self.method = method
        self.path = path
        self.rawQuery = rawQuery
        self.query = query
        self.headers = headers
        self.body = body
        json = body.isEmpty ? nil : try? Value(json: body)
    }

    /// Path segments after splitting on `/`.
    var segments: [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    static func parseQuery(_ raw: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = decode(String(parts[0]))
            let value = parts.count > 1 ? decode(String(parts[1])) : ""
            result[name] = value
        }
        return result
    }

    /// Form decoding, skipping Foundation when there is nothing to decode (the common case).
    static func decode(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else { return text }
        return text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? text
    }
}

/// A response a handler produced.
struct EmulatorResponse: Sendable {
    var status: Int
    var contentType: String?
    var body: Data
    var headers: [(String, String)] = []
    /// Close the connection without answering (fault injection).
    var drop = false

    static func json(_ status: Int, _ value: Value) -> EmulatorResponse {
        EmulatorResponse(
            status: status, contentType: "application/json",
            body: (try? value.jsonData(secrets: .reveal)) ?? Data("null".utf8))
    }

    /// A JSON object whose `key` holds the already rendered `items` (see
    /// ``OrderedStore/rendered(_:view:)``) and whose other members are `rest`.
    static func jsonList(_ status: Int, key: String, items: [Data], rest: [String: Value] = [:]) -> EmulatorResponse {
        var body = Data()
        body.reserveCapacity(items.reduce(64) { $0 + $1.count + 1 })
        body.append(UInt8(ascii: "{"))
        body.append((try? Value.string(key).jsonData(secrets: .reveal)) ?? Data())
        body.append(UInt8(ascii: ":"))
        appendArray(items, to: &body)
        if !rest.isEmpty, let others = try? Value.object(rest).jsonData(secrets: .reveal), others.count > 2 {
            body.append(UInt8(ascii: ","))
            body.append(others.dropFirst())  // "{...}" without its "{": the members and the closing "}"
        } else {
            body.append(UInt8(ascii: "}"))
        }
        return EmulatorResponse(status: status, contentType: "application/json", body: body)
    }

    /// A JSON array of already rendered items.
    static func jsonArray(_ status: Int, items: [Data]) -> EmulatorResponse {
        var body = Data()
        body.reserveCapacity(items.reduce(2) { $0 + $1.count + 1 })
        appendArray(items, to: &body)
        return EmulatorResponse(status: status, contentType: "application/json", body: body)
    }

    /// `[item,item,...]`
    private static func appendArray(_ items: [Data], to body: inout Data) {
        body.append(UInt8(ascii: "["))
        for (index, item) in items.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body.append(item)
        }
        body.append(UInt8(ascii: "]"))
    }

    static func text(_ status: Int, _ text: String) -> EmulatorResponse {
        EmulatorResponse(status: status, contentType: "text/plain; charset=utf-8", body: Data(text.utf8))
    }

    static func empty(_ status: Int) -> EmulatorResponse {
        EmulatorResponse(status: status, contentType: nil, body: Data())
    }
}

/// ISO 8601 timestamps with milliseconds, UTC (each update gets a new value).
enum Timestamps {
    static func now() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var seconds = spec.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(spec.tv_nsec / 1_000_000), 3))Z"
    }
}

/// Lets handlers return an error answer early through `Result`.
extension EmulatorResponse: Error {}
