import ConnSyncModel
import Foundation
import Testing

/// Cases in the spirit of JSONTestSuite (nst/JSONTestSuite): `y_` documents every parser
/// must accept, `n_` documents every parser must reject. Written here as connsync's own
/// table, each with what it reads as; the one JSON read path is ``Value/init(json:)``.
@Suite("JSON: the y_ and n_ cases of JSONTestSuite")
struct JSONSuiteTests {
    /// `y_`: accepted, and read as the value given.
    static let accepted: [(name: String, json: String, value: Value)] = [
        ("y_array_arraysWithSpaces", "[[]   ]", [[]]),
        ("y_array_empty", "[]", []),
        ("y_array_empty-string", #"[""]"#, [""]),
        ("y_array_false", "[false]", [false]),
        ("y_array_heterogeneous", #"[null, 1, "1", {}]"#, [nil, 1, "1", [:]]),
        ("y_array_null", "[null]", [nil]),
        ("y_array_with_leading_space", " [1]", [1]),
        ("y_array_with_trailing_space", "[2] ", [2]),
        ("y_array_with_several_null", "[1,null,null,null,2]", [1, nil, nil, nil, 2]),
        ("y_number", "[123e65]", [.double(123e65)]),
        ("y_number_0e+1", "[0e+1]", [.double(0)]),
        ("y_number_0e1", "[0e1]", [.double(0)]),
        ("y_number_after_space", "[ 4]", [4]),
        ("y_number_double_close_to_zero", "[-0.000000000000000000000000000000000000000000000000000000000000000000000000000000001]", [.double(-1e-81)]),
        ("y_number_int_with_exp", "[20e1]", [.double(200)]),
        ("y_number_minus_zero", "[-0]", [0]),
        ("y_number_negative_int", "[-123]", [-123]),
        ("y_number_negative_one", "[-1]", [-1]),
        ("y_number_real_capital_e", "[1E22]", [.double(1e22)]),
        ("y_number_real_capital_e_neg_exp", "[1E-2]", [.double(0.01)]),
        ("y_number_real_capital_e_pos_exp", "[1E+2]", [.double(100)]),
        ("y_number_real_fraction_exponent", "[123.456e78]", [.double(123.456e78)]),
        ("y_number_simple_real", "[123.456789]", [.double(123.456789)]),
        ("y_object_basic", #"{"asd":"sdf"}"#, ["asd": "sdf"]),
        ("y_object_duplicated_key", #"{"a":"b","a":"c"}"#, ["a": "c"]),
        ("y_object_duplicated_key_and_value", #"{"a":"b","a":"b"}"#, ["a": "b"]),
        ("y_object_empty", "{}", [:]),
        ("y_object_empty_key", #"{"":0}"#, ["": 0]),
        ("y_object_escaped_null_in_key", #"{"foo\u0000bar": 42}"#, ["foo\u{0}bar": 42]),
        ("y_object_extreme_numbers", #"{ "min": -1.0e+28, "max": 1.0e+28 }"#, ["min": .double(-1e28), "max": .double(1e28)]),
        ("y_object_long_strings", #"{"x":[{"id": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}], "id": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}"#,
            ["x": [["id": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"]], "id": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"]),
        ("y_object_simple", #"{"a":[]}"#, ["a": []]),
        ("y_object_string_unicode", #"{"title":"\u041f\u043e\u043b\u0442\u043e\u0440\u0430"}"#, ["title": "Полтора"]),
        ("y_object_with_newlines", "{\n\"a\": \"b\"\n}", ["a": "b"]),
        ("y_string_1_2_3_bytes_UTF-8_sequences", #"["\u0060\u012a\u12AB"]"#, ["`Īካ"]),
        ("y_string_accepted_surrogate_pair", #"["\uD801\udc37"]"#, ["𐐷"]),
        ("y_string_allowed_escapes", #"["\"\\\/\b\f\n\r\t"]"#, ["\"\\/\u{8}\u{C}\n\r\t"]),
        ("y_string_backslash_and_u_escaped_zero", #"["\\u0000"]"#, ["\\u0000"]),
        ("y_string_comments", #"["a/*b*/c/*d//e"]"#, ["a/*b*/c/*d//e"]),
        ("y_string_escaped_control_character", #"["\u0012"]"#, ["\u{12}"]),
        ("y_string_in_array_with_leading_space", #"[ "asd"]"#, ["asd"]),
        ("y_string_nbsp_uescaped", #"["new\u00A0line"]"#, ["new\u{A0}line"]),
        ("y_string_raw_utf8", "[\"€𝄞\"]", ["€𝄞"]),
        ("y_string_space", #"" ""#, " "),
        ("y_string_uEscape", #"["\u0061\u30af\u30EA\u30b9"]"#, ["aクリス"]),
        ("y_string_unicode_U+FFFE_nonchar", #"["\uFFFE"]"#, ["\u{FFFE}"]),
        ("y_structure_lonely_false", "false", false),
        ("y_structure_lonely_int", "42", 42),
        ("y_structure_lonely_negative_real", "-0.1", .double(-0.1)),
        ("y_structure_lonely_null", "null", nil),
        ("y_structure_lonely_string", #""asd""#, "asd"),
        ("y_structure_lonely_true", "true", true),
        ("y_structure_true_in_array", "[true]", [true]),
        ("y_structure_whitespace_array", " [] ", []),
        ("y_structure_trailing_newline", "[\"a\"]\n", ["a"]),
    ]

    /// `n_`: rejected.
    static let rejected: [(name: String, json: String)] = [
        ("n_array_1_true_without_comma", "[1 true]"),
        ("n_array_a_invalid_utf8", "[a]"),
        ("n_array_colon_instead_of_comma", #"["": 1]"#),
        ("n_array_comma_after_close", #"[""],"#),
        ("n_array_comma_and_number", "[,1]"),
        ("n_array_double_comma", "[1,,2]"),
        ("n_array_double_extra_comma", #"["x",,]"#),
        ("n_array_extra_close", #"["x"]]"#),
        ("n_array_extra_comma", #"["",]"#),
        ("n_array_incomplete", #"["x""#),
        ("n_array_items_separated_by_semicolon", "[1:2]"),
        ("n_array_just_comma", "[,]"),
        ("n_array_just_minus", "[-]"),
        ("n_array_missing_value", #"[   , ""]"#),
        ("n_array_number_and_comma", "[1,]"),
        ("n_array_unclosed", #"[""#),
        ("n_array_unclosed_with_new_lines", "[1,\n1\n,1"),
        ("n_incomplete_false", "[fals]"),
        ("n_incomplete_null", "[nul]"),
        ("n_incomplete_true", "[tru]"),
        ("n_number_++", "[++1234]"),
        ("n_number_+1", "[+1]"),
        ("n_number_-01", "[-01]"),
        ("n_number_-1.0.", "[-1.0.]"),
        ("n_number_-NaN", "[-NaN]"),
        ("n_number_.-1", "[.-1]"),
        ("n_number_.2e-3", "[.2e-3]"),
        ("n_number_0.e1", "[0.e1]"),
        ("n_number_0_capital_E", "[0E]"),
        ("n_number_0e+", "[0e+]"),
        ("n_number_1.0e-", "[1.0e-]"),
        ("n_number_1_000", "[1 000.0]"),
        ("n_number_2.e3", "[2.e3]"),
        ("n_number_Inf", "[Inf]"),
        ("n_number_NaN", "[NaN]"),
        ("n_number_hex_1_digit", "[0x1]"),
        ("n_number_infinity", "[Infinity]"),
        ("n_number_minus_space_1", "[- 1]"),
        ("n_number_neg_int_starting_with_zero", "[-012]"),
        ("n_number_real_without_fractional_part", "[1.]"),
        ("n_number_starting_with_dot", "[.123]"),
        ("n_number_with_leading_zero", "[012]"),
        ("n_object_bad_value", #"["x", truth]"#),
        ("n_object_comma_instead_of_colon", #"{"x", null}"#),
        ("n_object_double_colon", #"{"x"::"b"}"#),
        ("n_object_garbage_at_end", #"{"a":"a" 123}"#),
        ("n_object_missing_colon", #"{"a" b}"#),
        ("n_object_missing_key", #"{:"b"}"#),
        ("n_object_missing_value", #"{"a":"#),
        ("n_object_no-colon", #"{"a""#),
        ("n_object_non_string_key", "{1:1}"),
        ("n_object_single_quote", "{'a':0}"),
        ("n_object_trailing_comma", #"{"id":0,}"#),
        ("n_object_two_commas_in_a_row", #"{"a":"b",,"c":"d"}"#),
        ("n_object_unquoted_key", #"{a: "b"}"#),
        ("n_single_space", " "),
        ("n_string_1_surrogate_then_escape_u", #"["\uD800\u"]"#),
        ("n_string_escape_x", #"["\x00"]"#),
        ("n_string_escaped_backslash_bad", #"["\\\"]"#),
        ("n_string_incomplete_escaped_character", #"["\u00A"]"#),
        ("n_string_invalid_backslash_esc", #"["\a"]"#),
        ("n_string_no_quotes_with_bad_escape", #"[\n]"#),
        ("n_string_single_quote", "['single quote']"),
        ("n_string_unescaped_newline", "[\"new\nline\"]"),
        ("n_string_unescaped_tab", "[\"\t\"]"),
        ("n_string_escape_uppercase_U", #"["\UA66D"]"#),
        ("n_structure_angle_bracket_null", "[<null>]"),
        ("n_structure_array_trailing_garbage", "[1]x"),
        ("n_structure_array_with_extra_array_close", "[1]]"),
        ("n_structure_capitalized_True", "[True]"),
        ("n_structure_close_unopened_array", "1]"),
        ("n_structure_double_array", "[][]"),
        ("n_structure_end_array", "]"),
        ("n_structure_no_data", ""),
        ("n_structure_object_followed_by_closing_object", "{}}"),
        ("n_structure_object_with_comment", #"{"a":/*comment*/"b"}"#),
        ("n_structure_object_with_trailing_garbage", #"{"a": true} "x""#),
        ("n_structure_open_object", "{"),
        ("n_structure_trailing_#", #"{"a":"b"}#{}"#),
        ("n_structure_UTF8_BOM_no_data", "\u{FEFF}"),
        ("n_structure_whitespace_formfeed", "[\u{C}]"),
        ("n_structure_100000_opening_arrays", String(repeating: "[", count: 100_000)),
        ("n_structure_open_array_object", String(repeating: #"[{"":"#, count: 50_000)),
    ]

    @Test(arguments: accepted.map(\.name))
    func accepts(_ name: String) throws {
        let entry = try #require(Self.accepted.first { $0.name == name })
        #expect(try Value(json: entry.json) == entry.value, "\(name)")
        #expect(try Value(json: Data(entry.json.utf8)) == entry.value, "\(name) from bytes")
    }

    @Test(arguments: rejected.map(\.name))
    func rejects(_ name: String) throws {
        let entry = try #require(Self.rejected.first { $0.name == name })
        #expect(throws: JSONError.self, "\(name)") { try Value(json: entry.json) }
    }

    /// What is written reads back as the same value (keys sorted, escapes as needed; a
    /// whole double is written without a fraction, so it reads back as that integer).
    @Test(arguments: accepted.map(\.name))
    func roundTrips(_ name: String) throws {
        let entry = try #require(Self.accepted.first { $0.name == name })
        let expected = Self.wholeDoublesAsInts(entry.value)
        #expect(try Value(json: entry.value.jsonString()) == expected, "\(name)")
        #expect(try Value(json: entry.value.jsonString(pretty: true)) == expected, "\(name) pretty")
    }

    static func wholeDoublesAsInts(_ value: Value) -> Value {
        switch value {
        case .double(let number) where number == number.rounded() && abs(number) < 1e15: return .int(Int(number))
        case .array(let items): return .array(items.map(wholeDoublesAsInts))
        case .object(let fields): return .object(fields.mapValues(wholeDoublesAsInts))
        default: return value
        }
    }
}
