import ConnSyncModel
import Testing

/// Text from outside (names in YAML, vendor errors, keys in vendor objects): anchored rules,
/// masking by words, redaction and escaping (cli.md v1.1, "Trust").
@Suite("Trust: names, secret keys, redaction")
struct TrustTextTests {
    @Test(arguments: [
        ("orders", true), ("a", true), ("A.b_c-9", true), (String(repeating: "x", count: 100), true),
        ("orders\n", false), ("orders\r\n", false), ("-orders", false), (".orders", false), ("", false),
        (String(repeating: "x", count: 101), false), ("ord ers", false), ("ordérs", false), ("orders/x", false),
    ])
    func namesAreFullyAnchored(_ name: String, _ valid: Bool) {
        #expect(NameRules.isValidName(name) == valid, "\(name.debugDescription)")
    }

    @Test func otherRulesAreAnchoredToo() {
        #expect(NameRules.isEnvironmentName("ORDERS_DB_PASSWORD"))
        #expect(!NameRules.isEnvironmentName("ORDERS\n"))
        #expect(!NameRules.isEnvironmentName("1ORDERS"))
        #expect(NameRules.isIdentifier("reporting-1", maximumLength: 100))
        #expect(!NameRules.isIdentifier("reporting\n", maximumLength: 100))
        #expect(!NameRules.isIdentifier(String(repeating: "a", count: 101), maximumLength: 100))
        #expect(NameRules.isSingleLine("token-value"))
        #expect(!NameRules.isSingleLine("token-value\n"))
        #expect(!NameRules.isSingleLine("a\u{7F}b"))
        #expect(NameRules.isMultiLineText("-----BEGIN CERTIFICATE-----\r\nMIIB\n\t-----END CERTIFICATE-----\n"))
        #expect(!NameRules.isMultiLineText("pem\u{0}"))
    }

    @Test(arguments: [
        "password", "dbPassword", "db_password", "DB-PASSWORD", "passwd", "pwd", "extraOptions.POSTGRESQL.pwd", "pass", "privateKeyPass",
        "secret", "clientSecret", "token", "accessToken", "credentials", "credential", "privateKey", "private_key", "tunnel-private-key",
        "apiKey", "API_KEY", "accessKeyId", "secretAccessKey", "secretKey", "apikey", "passphrase", "tunnel-private-key-passphrase",
    ])
    func secretLookingKeysAreMasked(_ key: String) {
        #expect(SecretKeys.looksSecret(key), "\(key)")
    }

    @Test(arguments: [
        "primaryKey", "keyspace", "sslKeyFile", "host", "port", "username", "passenger", "bypassCache", "tokenizer", "compass",
        "secretary", "keyId", "monkey", "databaseName", "connectionString", "peakaKey", "serviceAccountKeyJson",
    ])
    func keysAreMaskedByWordsNotSubstrings(_ key: String) {
        #expect(!SecretKeys.looksSecret(key), "\(key)")
    }

    @Test func keysSplitIntoWords() {
        #expect(SecretKeys.split("sslKeyFile") == ["ssl", "key", "file"])
        #expect(SecretKeys.split("HTTPProxyURL") == ["http", "proxy", "url"])
        #expect(SecretKeys.split("extraOptions.POSTGRESQL.pwd") == ["extra", "options", "postgresql", "pwd"])
        #expect(SecretKeys.split("tunnel-private_key") == ["tunnel", "private", "key"])
        // The scanner and the word list agree on keys outside ASCII too.
        #expect(SecretKeys.looksSecret("mötPassword"))
        #expect(!SecretKeys.looksSecret("mötKeyspace"))
    }

    @Test func urlUserInfoIsDetected() {
        #expect(SecretKeys.hasURLUserinfo("postgres://app:hunter2@db.internal:5432/orders"))
        #expect(SecretKeys.hasURLUserinfo("https://token@example.com"))
        #expect(SecretKeys.hasURLUserinfo("see http://docs.example.com/x and https://admin:Hunter2pw@db.internal"))
        #expect(SecretKeys.hasURLUserinfo("https://admin:p#ss@db.internal"))
        #expect(SecretKeys.hasURLUserinfo("https://admin:pa/ss@db.internal"))
        #expect(!SecretKeys.hasURLUserinfo("mail@example.com"))
        #expect(!SecretKeys.hasURLUserinfo("https://db.internal/x and mail@example.com"))
        #expect(SecretKeys.hasURLUserinfo("x://@"))
        #expect(!SecretKeys.hasURLUserinfo("://"))
        #expect(SecretKeys.hasURLUserinfo("a://b c://user@host"))
        // A space joined to a prepend mark is one Character: it does not end the user info.
        #expect(SecretKeys.hasURLUserinfo("pg://h\u{0600} u:pw@db"))
    }

    @Test func everyKnownSecretIsRedactedInEveryForm() {
        let redactor = Redactor(secrets: ["hunter2-secret", "Basic YWRtaW46cHc=", "p@ss word/x", "abc"])
        let text = "bad password hunter2-secret; header YWRtaW46cHc=; url p%40ss%20word%2Fx; raw p@ss word/x; short abc"
        let redacted = redactor.redact(text)
        for secret in ["hunter2-secret", "YWRtaW46cHc=", "p%40ss%20word%2Fx", "p@ss word/x"] {
            #expect(!redacted.contains(secret), "\(secret) survived")
        }
        #expect(redacted.contains("(sensitive)"))
        // Shorter than four characters: not searched (it would garble every message).
        #expect(redacted.contains("short abc"))
    }

    @Test func overlappingSecretsLeaveNoTailShowing() {
        // The earlier secret starts first; the later one overlaps it: every byte of both goes.
        let redactor = Redactor(secrets: ["abcd1234", "1234wxyz-tail"])
        #expect(redactor.redact("xx abcd1234wxyz-tail yy") == "xx (sensitive) yy")
        #expect(redactor.redact("abcd1234 and 1234wxyz-tail") == "(sensitive) and (sensitive)")
        #expect(redactor.redact("abcd1234abcd1234") == "(sensitive)(sensitive)")
        #expect(redactor.containsSecret("…1234wxyz-tail…"))
        #expect(!redactor.containsSecret("abcd123 1234wxyz"))
        #expect(redactor.redact("nothing here") == "nothing here")
        // Every position is looked at, the last one included.
        #expect(redactor.redact("zzabcd1234") == "zz(sensitive)")
    }

    @Test func aSharedSecretIsKeptOnce() {
        let redactor = Redactor(secrets: Array(repeating: "same-password", count: 5_000) + ["other-secret"])
        #expect(redactor.redact("same-password other-secret") == "(sensitive) (sensitive)")
    }

    @Test func vendorTextIsEscapedBoundedAndNeverCutInsideASecret() {
        let secret = "tok-9f8e7d6c5b4a"
        let redactor = Redactor(secrets: [secret])
        let echoed = String(repeating: "x", count: 295) + secret + String(repeating: "y", count: 500)
        let clean = VendorText.clean(echoed, redactor: redactor)
        #expect(!clean.contains("tok-9f8e"))
        #expect(clean.count <= VendorText.limit + 1)
        let hostile = VendorText.clean("evil\u{1B}[2J\u{1B}]0;owned\u{07}\nnext\u{202E}line", redactor: .none)
        #expect(!hostile.contains("\u{1B}") && !hostile.contains("\n") && !hostile.contains("\u{202E}") && !hostile.contains("\u{07}"))
        // Escapes are shown as escapes; whitespace (line breaks included) collapses to one space.
        #expect(hostile.contains("\\u{1B}[2J") && hostile.contains("\\u{202E}") && hostile.contains("owned\\u{7} next"))
    }

    @Test func paddingCannotPushASecretAcrossTheCut() {
        let secret = "SECRETTOKEN123"
        let redactor = Redactor(secrets: [secret])
        for padding in [8190, 8192 - secret.count / 2, 65530, 70000] {
            let text = String(repeating: " ", count: padding) + secret + " tail"
            let clean = VendorText.clean(text, redactor: redactor)
            #expect(!clean.contains("SECRETTOKEN"), "padding \(padding): \(clean)")
        }
        #expect(redactor.containsSecret("host SECRETTOKEN123.example"))
        #expect(!redactor.containsSecret("host other.example"))
    }

    @Test func jsonEscapesC1ControlsAndBidiOverrides() {
        let text = Value.string("a\u{9B}2Jb\u{202E}c\u{200B}d").jsonString()
        #expect(text == #""a\u009b2Jb\u202ec\u200bd""#)
        #expect(Value.string("plain ünïcode").jsonString() == "\"plain ünïcode\"")
    }

    @Test func diagnosticsEscapeWhatCameFromTheYAML() {
        let diagnostic = Diagnostic(
            code: "invalid-name", message: "'x\u{1B}[31m' is not a valid name", location: SourceLocation(file: "a\nb.yaml", line: 1, column: 1),
            document: DocumentID(kind: "Database", name: "x\u{1B}[31m"), field: "metadata.name")
        #expect(!diagnostic.description.contains("\u{1B}"))
        #expect(!diagnostic.description.contains("\n"))
    }
}
