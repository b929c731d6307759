import ConnSyncModel
@testable import ConnSyncState
import Foundation
import Testing

/// What the stores write as JSON columns must read back exactly with the stores' own reader
/// (connsync's one JSON parser), and earlier rows (written by JSONEncoder) too.
@Suite("State encodings")
struct EncodingTests {
    @Test func historyChangesRoundTrip() throws {
        let changes = [
            HistoryChange(address: Address(provider: "wm", name: "orders"), action: "update", outcome: "ok", message: nil),
            HistoryChange(
                address: Address(provider: "rep", name: "a.b_c-1"), action: "create", outcome: "failed",
                message: "409 Conflict: FET-1021 \"job\" in progress / retry\nlater \u{1F680} \\ tab\t"),
        ]
        let text = encodeHistoryChanges(changes)
        #expect(decodeHistoryChanges(text) == changes)
        #expect(!text.contains("\"message\":null"))
        #expect(encodeHistoryChanges([]) == "[]")
        // Written change by change, the text is what one value tree of them all gave: compact,
        // keys sorted, the same escapes.
        #expect(text == Value.array(changes.map(historyChangeValue)).jsonString())
        #expect(encodeHistoryChanges([changes[0]]) == #"[{"action":"update","address":{"name":"orders","provider":"wm"},"outcome":"ok"}]"#)
        // Rows written by Foundation's encoder (earlier versions) read back the same.
        let earlier = String(decoding: try JSONEncoder().encode(changes), as: UTF8.self)
        #expect(decodeHistoryChanges(earlier) == changes)
        #expect(decodeHistoryChanges(#"[{"action":"update"}]"#) == [])
        #expect(decodeHistoryChanges("not json") == [])
    }

    @Test func hashesRoundTripSorted() {
        let hashes = ["password": "ab12", "configuration.secretKey": "cd34", "ssl.key": "ef56"]
        let text = encodeHashes(hashes)
        #expect(text == #"{"configuration.secretKey":"cd34","password":"ab12","ssl.key":"ef56"}"#)
        #expect(decodeHashes(text) == hashes)
        #expect(decodeHashes(encodeHashes([:])) == [:])
    }

    /// Whatever shape the column holds (escapes, whitespace, non-string values), the strings
    /// read back; broken text reads as no hashes.
    @Test func hashesDecodeEveryShapeTheParserAccepts() {
        #expect(decodeHashes(encodeHashes(["we\"ird\\key": "v\u{1}"])) == ["we\"ird\\key": "v\u{1}"])
        #expect(decodeHashes(#"{ "password" : "ab12" }"#) == ["password": "ab12"])
        #expect(decodeHashes(#"{"password":"ab12","n":1}"#) == ["password": "ab12"])
        #expect(decodeHashes(#"{"password":"ab12""#) == [:])
        #expect(decodeHashes(#"{"password":"ab12"}x"#) == [:])
        #expect(decodeHashes(#"{"password""#) == [:])
        #expect(decodeHashes("") == [:])
        #expect(decodeHashes(#"{"é":"ü"}"#) == ["é": "ü"])
    }
}
