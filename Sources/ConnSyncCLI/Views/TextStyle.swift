/// ANSI styling that can be switched off (NO_COLOR, `--no-color`, not a terminal).
public struct TextStyle: Sendable {
    public var isColored: Bool

    public init(isColored: Bool) {
        self.isColored = isColored
    }

    public static let plain = TextStyle(isColored: false)

    private func wrap(_ text: String, _ code: String) -> String {
        isColored ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    public func green(_ text: String) -> String { wrap(text, "32") }
    public func yellow(_ text: String) -> String { wrap(text, "33") }
    public func red(_ text: String) -> String { wrap(text, "31") }
    public func bold(_ text: String) -> String { wrap(text, "1") }
    public func dim(_ text: String) -> String { wrap(text, "2") }

    /// Whether colour should be used for a stream: not when `--no-color`, not when `NO_COLOR`
    /// is set (to anything non-empty), not when the stream is not a terminal.
    public static func shouldColor(noColorFlag: Bool, environment: [String: String], isTerminal: Bool) -> Bool {
        if noColorFlag { return false }
        if let value = environment["NO_COLOR"], !value.isEmpty { return false }
        return isTerminal
    }
}
