import Foundation

// MARK: - writing

extension Value {
    /// Serialized JSON, keys sorted (stable for hashing, comparing and showing).
    /// With `.mask`, never throws.
    public func jsonData(secrets: SecretRendering = .mask, pretty: Bool = false) throws -> Data {
        var writer = JSONWriter(secrets: secrets, pretty: pretty)
        try writer.write(self, depth: 0)
        return Data(writer.bytes)
    }

    /// Compact (or pretty) JSON text with secrets masked.
    public func jsonString(pretty: Bool = false) -> String {
        jsonString(secrets: .mask, pretty: pretty)
    }

    /// JSON text with secrets written as `secrets` says (never `.reveal` for anything shown).
    public func jsonString(secrets: SecretRendering, pretty: Bool = false) -> String {
        var writer = JSONWriter(secrets: secrets, pretty: pretty)
        // Masking and replacing cannot fail; a non-finite number is written as null.
        if (try? writer.write(self, depth: 0)) == nil { return "null" }
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}

private struct JSONWriter {
    let secrets: SecretRendering
    let pretty: Bool
    var bytes: [UInt8] = []
    /// The path of the value being written, as a stack (a FieldPath is built only for secrets).
    var path: [FieldPath.Component] = []

    init(secrets: SecretRendering, pretty: Bool) {
        self.secrets = secrets
        self.pretty = pretty
        bytes.reserveCapacity(256)
    }

    mutating func write(_ value: Value, depth: Int) throws {
        switch value {
        case .null: append("null")
        case .bool(let flag): append(flag ? "true" : "false")
        case .int(let number): append(String(number))
        case .double(let number):
            guard number.isFinite else { throw JSONError.nonFiniteNumber }
            if number.rounded() == number && abs(number) < 1e15 {
                append(String(Int(number)))
            } else {
                append("\(number)")
            }
        case .string(let text): writeString(text)
        case .secret(let secret):
            switch secrets {
            case .mask: writeString(Sensitive<String>.mask)
            case .reveal:
                guard let revealed = secret.value?.revealed() else { throw JSONError.unresolvedSecret(FieldPath(path)) }
                writeString(revealed)
            case .replace(let render):
                writeString(render(FieldPath(path), secret))
            }
        case .array(let items):
            if items.isEmpty { append("[]"); return }
            bytes.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(depth + 1)
                path.append(.index(index))
                try write(item, depth: depth + 1)
                path.removeLast()
            }
            newline(depth)
            bytes.append(UInt8(ascii: "]"))
        case .object(let fields):
            if fields.isEmpty { append("{}"); return }
            bytes.append(UInt8(ascii: "{"))
            for (index, element) in fields.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(depth + 1)
                writeString(element.key)
                bytes.append(UInt8(ascii: ":"))
                if pretty { bytes.append(UInt8(ascii: " ")) }
                path.append(.key(element.key))
                try write(element.value, depth: depth + 1)
                path.removeLast()
            }
            newline(depth)
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// The slow path for text beyond ASCII: controls and invisible formatting characters as `\\uXXXX`.
    mutating func writeScalars(_ text: String) {
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": append("\\\"")
            case "\\": append("\\\\")
            case "\n": append("\\n")
            case "\r": append("\\r")
            case "\t": append("\\t")
            default:
                if ControlCharacters.isControl(scalar) || ControlCharacters.isInvisibleFormat(scalar) {
                    let hex = String(scalar.value, radix: 16)
                    append("\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex)
                } else {
                    bytes.append(contentsOf: String(scalar).utf8)
                }
            }
        }
    }

    mutating func newline(_ depth: Int) {
        guard pretty else { return }
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: depth * 2))
    }

    mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    mutating func writeString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        // Fast path: most strings need no escaping. 0xC2, 0xE2 and 0xEF lead the UTF-8 of C1
        // controls and of bidi/zero-width characters, which are escaped too: JSON output is
        // read on terminals.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 == 0xC2 || $0 == 0xE2 || $0 == 0xEF }) {
            bytes.append(contentsOf: text.utf8)
            bytes.append(UInt8(ascii: "\""))
            return
        }
        if text.utf8.contains(where: { $0 >= 0x80 }) {
            writeScalars(text)
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0x08: append("\\b")
            case 0x0C: append("\\f")
            case 0x00..<0x20:
                let hex = String(byte, radix: 16)
                append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
