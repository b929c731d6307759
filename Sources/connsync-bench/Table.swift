import Foundation

/// Everything measured at one size.
struct SizeFigures {
    var size: Int
    var layouts: [LayoutFigures]
    var baseline: Duration?
}

/// The benchmark's tables (one per size) and its verdicts against the targets.
struct Report {
    let latency: Duration
    let inFlight: Int
    var sizes: [SizeFigures] = []

    func render(_ figures: SizeFigures) -> String {
        var rows: [[String]] = []
        let count = figures.size
        for layout in figures.layouts {
            let name = layout.layout.rawValue
            let megabytes = Double(layout.yamlBytes) / 1_048_576
            rows.append([
                "validate (\(name), \(String(format: "%.1f", megabytes)) MB, median of \(layout.validates.count))", Self.format(layout.validate.wall), Self.format(layout.validate.cpu),
                "\(layout.validate.peakMiB) MiB", "-",
                "range \(Self.range(layout.validates.map(\.wall))) · "
                    + String(format: "%.1f MB/s of CPU · %@", megabytes / max(1e-9, Self.seconds(layout.validate.cpu)), Self.perConnection(layout.validate.cpu, count)),
            ])
            let plan = Self.median(layout.plans)
            let observeAndPlan = plan.cpu - layout.validate.cpu
            rows.append([
                "plan, converged (\(name), median of \(layout.plans.count))", Self.format(plan.wall), Self.format(plan.cpu), "\(plan.peakMiB) MiB",
                "\(layout.planRequests) GETs",
                "range \(Self.range(layout.plans.map(\.wall))) · first request \(Self.milliseconds(Self.median(layout.firstRequest))) · "
                    + "observe+plan \(Self.perConnection(observeAndPlan, count)) · emulator CPU \(Self.format(layout.planEmulatorCPU))",
            ])
            rows.append([
                "apply, every connection changed (\(name), median of \(layout.applies.count))", Self.format(layout.apply.wall), Self.format(layout.apply.cpu), "\(layout.apply.peakMiB) MiB",
                "\(layout.applyWrites) writes",
                "range \(Self.range(layout.applies.map(\.wall))) · \(Self.perConnection(layout.apply.cpu, max(1, layout.applyWrites), unit: "write")) · \(String(format: "%.2f×", Self.ratio(layout.apply.wall, bound(count)))) the bound "
                    + "\(Self.format(bound(count))) · emulator CPU \(Self.format(layout.applyEmulatorCPU))",
            ])
            rows.append(["second apply (\(name))", "-", "-", "-", "\(layout.secondApplyWrites) writes", layout.secondApplyWrites == 0 ? "converged" : "NOT CONVERGED"])
        }
        if let baseline = figures.baseline {
            rows.append(["baseline: one GET per connection", Self.format(baseline), "-", "-", "\(count) GETs", ""])
        }
        return "\n\(count) connections\n" + Self.table(header: ["PHASE", "WALL", "CPU", "PEAK RSS", "REQUESTS", "NOTE"], rows: rows)
    }

    /// N × latency / in-flight: the apply's round trips, at most `inFlight` at a time.
    func bound(_ count: Int) -> Duration {
        latency * count / inFlight
    }

    func verdicts() -> String {
        var lines: [String] = [""]
        func verdict(_ text: String, _ passed: Bool) { lines.append((passed ? "PASS  " : "MISS  ") + text) }
        for figures in sizes {
            for layout in figures.layouts {
                let name = "\(figures.size) \(layout.layout.rawValue)"
                let plan = Self.median(layout.plans)
                if let baseline = figures.baseline {
                    let ratio = Self.ratio(baseline, plan.wall)
                    verdict("plan (\(name)) ≥ 30× faster than the baseline: \(String(format: "%.0f×", ratio))", ratio >= 30)
                }
                let first = Self.median(layout.firstRequest)
                verdict("first request (\(name)) ≤ 60 ms after process start: \(Self.milliseconds(first))", first <= 0.060)
                let speed = Double(layout.yamlBytes) / 1_048_576 / max(1e-9, Self.seconds(layout.validate.cpu))
                verdict("YAML loading (\(name)) ≥ 20 MB/s: \(String(format: "%.0f MB/s", speed))", speed >= 20)
                let perWrite = Self.seconds(layout.apply.cpu) * 1e6 / Double(max(1, layout.applyWrites))
                verdict("apply CPU (\(name)) ≤ 120 µs per write: \(String(format: "%.0f µs", perWrite))", perWrite <= 120)
                let applyRatio = Self.ratio(layout.apply.wall, bound(figures.size))
                verdict("apply wall (\(name)) within 1.3× of N × latency / in-flight: \(String(format: "%.2f×", applyRatio))", applyRatio <= 1.3)
                verdict("a converged apply (\(name)) sends zero writes", layout.secondApplyWrites == 0)
            }
        }
        if let small = sizes.first(where: { $0.size == 5_000 }), let large = sizes.first(where: { $0.size == 50_000 }) {
            for (index, layout) in large.layouts.enumerated() where index < small.layouts.count {
                let ratio = Self.ratio(Self.median(layout.plans).wall, Self.median(small.layouts[index].plans).wall)
                verdict("50,000 plan (\(layout.layout.rawValue)) ≤ 12× the 5,000 one: \(String(format: "%.1f×", ratio))", ratio <= 12)
                let peak = (layout.validates + layout.plans + layout.applies).map(\.peakMiB).max() ?? 0
                verdict("50,000 (\(layout.layout.rawValue)) peak RSS ≤ 400 MiB: \(peak) MiB", peak <= 400)
            }
        }
        return lines.joined(separator: "\n")
    }

    // MARK: - formatting

    static func table(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
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

    static func milliseconds(_ seconds: Double) -> String {
        String(format: "%.0f ms", seconds * 1000)
    }

    static func median(_ timings: [Timing]) -> Timing {
        timings.sorted { $0.wall < $1.wall }[timings.count / 2]
    }

    static func median(_ values: [Double]) -> Double {
        values.isEmpty ? .nan : values.sorted()[values.count / 2]
    }

    static func range(_ values: [Duration]) -> String {
        guard let low = values.min(), let high = values.max() else { return "-" }
        return "\(format(low))–\(format(high))"
    }

    /// `93 µs CPU/connection`.
    static func perConnection(_ cpu: Duration, _ count: Int, unit: String = "connection") -> String {
        String(format: "%.0f µs CPU/%@", seconds(cpu) * 1e6 / Double(max(1, count)), unit)
    }
}
