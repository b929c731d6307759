import ConnSyncModel
import Foundation
import Testing

@Suite("Value and JSON")
struct ValueTests {
    @Test func aValueIsNoLargerThanAStringAndItsTag() {
        // Every field of every remote object is a Value: a secret is boxed, so it does not
        // make them all as large as itself.
        #expect(MemoryLayout<Value>.stride <= 24)
        #expect(MemoryLayout<Value>.size <= 17)
    }

    @Test(arguments: [
        #"{"a":1,"b":[true,false,null],"c":{"d":"e"}}"#,
        #"[1,-2,3.5,1e+21,"x\"y\\z\n\t\u0001"]"#,
        #""\u00e9\ud83d\ude00""#,
        #"{}"#, #"[]"#, #"0"#, #""""#,
    ])
    func parsesAndWritesBack(_ text: String) throws {
        let value = try Value(json: text)
        let written = value.jsonString()
        #expect(try Value(json: written) == value)
    }

    @Test func keysAreSortedAndNumbersKeepTheirType() throws {
        let value = try Value(json: #"{"z":1,"a":2.5,"m":9007199254740993}"#)
        #expect(value.jsonString() == #"{"a":2.5,"m":9007199254740993,"z":1}"#)
        #expect(value["z"] == .int(1))
        #expect(value["a"] == .double(2.5))
    }

    /// Keys are interned by a hash of their bytes and fields gathered on a shared stack:
    /// keys that share a slot stay distinct, nesting keeps each object's own fields, the
    /// last duplicate wins, and numbers keep their exact value and type.
    @Test func repeatedKeysNestingAndNumbersReadBackExactly() throws {
        let text = #"[{"axc":1,"ayc":2,"nested":{"axc":3,"e\"k":4},"axc":5},{"ayc":-6,"axc":123456789012345678,"n":1234567890123456789,"f":0.5,"": 7}]"#
        let value = try Value(json: text)
        #expect(value == [
            ["axc": 5, "ayc": 2, "nested": ["axc": 3, "e\"k": 4]],
            ["ayc": -6, "axc": .int(123_456_789_012_345_678), "n": .int(1_234_567_890_123_456_789), "f": 0.5, "": 7],
        ])
        #expect(try Value(json: Data(text.utf8)) == value)
    }

    @Test(arguments: [#"{"a":}"#, #"[1,]"#, #"{"a" 1}"#, #"tru"#, #""unterminated"#, #"{"a":1} x"#, "\"\u{01}\"", #"01x"#])
    func rejectsInvalidJSON(_ text: String) {
        #expect(throws: JSONError.self) { try Value(json: text) }
    }

    @Test func secretsAreMaskedUnlessRevealedForARequestBody() throws {
        let secret = Secret.resolved("hunter2", source: .environment("PW"))
        let value: Value = ["user": "app", "password": .secret(secret)]
        #expect(value.jsonString() == #"{"password":"(sensitive)","user":"app"}"#)
        #expect(String(describing: value).contains("hunter2") == false)
        #expect(!String(decoding: try value.jsonData(), as: UTF8.self).contains("hunter2"))
        let revealed = String(decoding: try value.jsonData(secrets: .reveal), as: UTF8.self)
        #expect(revealed == #"{"password":"hunter2","user":"app"}"#)
        #expect(value.secretPaths == ["password"])
        #expect(value.masked["password"] == "(sensitive)")
        // A reference checked for form only cannot be sent.
        let unresolved: Value = ["password": .secret(Secret(source: .environment("PW")))]
        #expect(throws: JSONError.unresolvedSecret("password")) { try unresolved.jsonData(secrets: .reveal) }
    }

    @Test func sensitiveNeverShowsItsValue() {
        let sensitive = Sensitive("s3cr3t")
        var dumped = ""
        dump(sensitive, to: &dumped)
        for text in [String(describing: sensitive), String(reflecting: sensitive), dumped, "\(sensitive)"] {
            #expect(!text.contains("s3cr3t"))
        }
        #expect(sensitive.revealed() == "s3cr3t")
        #expect(Secret.resolved("s3cr3t").description == "(sensitive)")
    }

    @Test func pathsGetSetAndMerge() {
        var value: Value = ["a": ["b": 1]]
        value.set("x", at: "a.c.d")
        #expect(value[path: "a.c.d"] == "x")
        value.set(nil, at: "a.b")
        #expect(value[path: "a.b"] == nil)
        let merged = Value(["a": ["keep": 1, "over": 1], "list": [1, 2]]).merging(["a": ["over": 2], "list": [3]])
        #expect(merged == ["a": ["keep": 1, "over": 2], "list": [3]])
    }
}

extension Value {
    init(_ value: Value) { self = value }
}

@Suite("Small values")
struct SmallValueTests {
    @Test(arguments: [("a.b[2].c", "a.b[2].c"), ("configuration.collections", "configuration.collections"), ("", "")])
    func fieldPathsRoundTrip(_ text: String, _ expected: String) {
        #expect(FieldPath(parsing: text).description == expected)
    }

    @Test func fieldPathsOrderAndPrefix() {
        #expect(FieldPath("a.b") < FieldPath("a.c"))
        #expect(FieldPath("ssl.ca").hasPrefix("ssl"))
        #expect(!FieldPath("sslx").hasPrefix("ssl"))
    }

    @Test(arguments: [("200/m", 200, RateLimit.Unit.minute), ("10/s", 10, .second), (" 5 / s ", 5, .second)])
    func rateLimitsParse(_ text: String, _ count: Int, _ unit: RateLimit.Unit) {
        #expect(RateLimit(parsing: text) == RateLimit(count: count, per: unit))
    }

    @Test(arguments: ["0/s", "200/h", "x/m", "200", "-1/s"])
    func badRateLimitsAreRefused(_ text: String) {
        #expect(RateLimit(parsing: text) == nil)
    }

    @Test(arguments: [
        ("30s", Duration.seconds(30)), ("2m", .seconds(120)), ("500ms", .milliseconds(500)), ("1h", .seconds(3600)),
        ("1m30s", .seconds(90)), ("45", .seconds(45)), ("0.5", .milliseconds(500)),
        ("8760h", .seconds(31_536_000)), ("31536000", .seconds(31_536_000)),
    ])
    func durationsParse(_ text: String, _ duration: Duration) {
        #expect(DurationText.parse(text) == duration)
    }

    @Test(arguments: [
        "", "abc", "5x", "m5", "-3s",
        // Longer than a year, not finite, or long enough to overflow milliseconds: refused, never a trap.
        "1e300", "inf", "infinity", "nan", "8761h", "31536001", "9999999999999999999999h",
        "\(String(repeating: "9", count: 400))s", "5000000h5000000h",
    ])
    func badDurationsAreRefused(_ text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test func addressesParse() {
        #expect(Address(parsing: "wm/orders") == Address(provider: "wm", name: "orders"))
        #expect(Address(parsing: "wm/") == nil)
        #expect(Address(parsing: "orders") == nil)
    }

    /// The length-first lookup names exactly the fields `init(rawValue:)` names.
    @Test func specKeysNameTheFieldsTheirNamesSay() {
        for field in CommonField.allCases { #expect(CommonField(key: field.rawValue) == field) }
        for key in ["", "ss", "sst", "SSL", "hast", "pert", "portx", "engina", "schemas", "databasf", "passwort", "usernamE", "options", "provider"] {
            #expect(CommonField(key: key) == nil, "\(key)")
            #expect(CommonField(rawValue: key) == nil)
        }
    }
}
