import Foundation

/// The benchmark's table and verdicts.
struct Table {
    private var rows: [[String]] = []
    var verdicts: [String] = []
    /// Figures the verdicts compare.
    var planWall: [Fixture.Layout: Duration] = [:]
    var applyWall: Duration?

    mutating func add(_ phase: String, _ timing: Timing, requests: String, note: String) {
        rows.append([phase, Self.format(timing.wall), timing.cpu == .zero ? "-" : Self.format(timing.cpu), requests, note])
    }

    func render() -> String {
        let header = ["PHASE", "WALL", "CPU", "REQUESTS", "NOTE"]
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        var lines = all.map { row in
            row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }
        lines.append("")
        lines += verdicts
        return lines.joined(separator: "\n")
    }

    static func verdict(_ text: String, _ passed: Bool) -> String {
        (passed ? "PASS  " : "MISS  ") + text
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func ratio(_ a: Duration, _ b: Duration) -> Double {
        let denominator = seconds(b)
        return denominator > 0 ? seconds(a) / denominator : 0
    }

    static func format(_ duration: Duration) -> String {
        let value = seconds(duration)
        return value < 1 ? String(format: "%.0f ms", value * 1000) : String(format: "%.2f s", value)
    }

    static func median(_ values: [Duration]) -> Duration {
        values.sorted()[values.count / 2]
    }

    static func range(_ values: [Duration]) -> String {
        guard let low = values.min(), let high = values.max() else { return "-" }
        return "\(format(low))–\(format(high))"
    }

    /// `93 µs CPU/connection`.
    static func perConnection(_ cpu: Duration, _ count: Int) -> String {
        String(format: "%.0f µs CPU/connection", seconds(cpu) * 1e6 / Double(max(1, count)))
    }
}
