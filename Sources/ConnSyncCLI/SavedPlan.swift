import ArgumentParser
import ConnSyncEngine
import ConnSyncModel
import ConnSyncPlan
import Foundation

/// A plan saved by `plan --out FILE`: where it came from and the fingerprints that must not
/// have moved when `apply FILE` runs, whole and per connection (so that a refusal names what
/// moved). It holds no secret: the plan inside is masked, the fingerprints are keyed hashes.
struct SavedPlan {
    static let format = "connsync-saved-plan"
    /// 2: the desired fingerprint covers a Provider's vendor settings by name and its base URL
    /// as written (a plan saved by version 1 is refused, never misread).
    static let version = 2

    var source: SourceInfo
    var targets: [Address]
    var remoteFingerprint: String
    var desiredFingerprint: String
    /// Address → (remote, desired) keyed hashes.
    var connections: [Address: ConnectionFingerprint]
    /// Provider → keyed hash of everything observed there.
    var providers: [String: String]
    var state: String
    var plan: Value

    init(run: Engine.PlanRun, state: String) {
        source = run.plan.source
        targets = run.targets
        remoteFingerprint = run.plan.remoteFingerprint
        desiredFingerprint = run.plan.desiredFingerprint
        connections = run.plan.fingerprintsByConnection
        providers = run.plan.remoteFingerprintsByProvider
        self.state = state
        plan = PlanJSONView().value(run.plan)
    }

    init(
        source: SourceInfo, targets: [Address], remoteFingerprint: String, desiredFingerprint: String,
        connections: [Address: ConnectionFingerprint], providers: [String: String], state: String, plan: Value
    ) {
        self.source = source
        self.targets = targets
        self.remoteFingerprint = remoteFingerprint
        self.desiredFingerprint = desiredFingerprint
        self.connections = connections
        self.providers = providers
        self.state = state
        self.plan = plan
    }

    var value: Value {
        [
            "format": .string(Self.format), "version": .int(Self.version), "created_at": .string(ISO8601DateFormatter().string(from: Date())),
            "source": PlanJSONView.source(source), "targets": .array(targets.map { .string($0.description) }),
            "remote_fingerprint": .string(remoteFingerprint), "desired_fingerprint": .string(desiredFingerprint),
            "connections": .object(
                Dictionary(uniqueKeysWithValues: connections.map { ($0.key.description, ["remote": .string($0.value.remote), "desired": .string($0.value.desired)]) })),
            "providers": .object(providers.mapValues(Value.string)),
            "state": .string(state), "plan": plan,
        ]
    }

    /// Written atomically, mode 0600 (cli.md v1.1): a saved plan names the state and the source.
    func write(to path: String) throws(PrivateFileError) {
        try PrivateFile.write(Data((value.jsonString(pretty: true) + "\n").utf8), to: path)
    }

    static func read(from path: String) throws -> SavedPlan {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read the saved plan \(path)")
        }
        guard let value = try? Value(json: data), value["format"]?.stringValue == format else {
            throw ValidationError("\(path) is not a plan saved by `connsync plan --out`")
        }
        guard value["version"]?.intValue == version else {
            throw ValidationError("\(path) was saved by another version of connsync; plan again")
        }
        let sourceValue = value["source"] ?? .null
        let source = SourceInfo(
            kind: SourceInfo.Kind(rawValue: sourceValue["kind"]?.stringValue ?? "") ?? .directory,
            location: sourceValue["location"]?.stringValue ?? ".", ref: sourceValue["ref"]?.stringValue,
            commit: sourceValue["commit"]?.stringValue, path: sourceValue["path"]?.stringValue, isDirty: sourceValue["dirty"]?.boolValue)
        var connections: [Address: ConnectionFingerprint] = [:]
        for (key, entry) in value["connections"]?.objectValue ?? [:] {
            guard let address = Address(parsing: key), let remote = entry["remote"]?.stringValue, let desired = entry["desired"]?.stringValue else { continue }
            connections[address] = ConnectionFingerprint(remote: remote, desired: desired)
        }
        return SavedPlan(
            source: source, targets: (value["targets"]?.arrayValue ?? []).compactMap { $0.stringValue.flatMap(Address.init(parsing:)) },
            remoteFingerprint: value["remote_fingerprint"]?.stringValue ?? "", desiredFingerprint: value["desired_fingerprint"]?.stringValue ?? "",
            connections: connections, providers: (value["providers"]?.objectValue ?? [:]).compactMapValues(\.stringValue),
            state: value["state"]?.stringValue ?? "", plan: value["plan"] ?? .null)
    }

    /// Why `current` (the plan made now) may not be applied in place of this saved one: nil
    /// when nothing moved; otherwise what moved, naming connections and fields (cli.md v1.1).
    func refusal(comparedWith current: Plan) -> String? {
        guard desiredFingerprint != current.desiredFingerprint || remoteFingerprint != current.remoteFingerprint else { return nil }
        let savedChanges = Dictionary(
            (plan["resource_changes"]?.arrayValue ?? []).compactMap { entry in entry["address"]?.stringValue.map { ($0, entry) } },
            uniquingKeysWith: { first, _ in first })
        let saidToChange = savedChanges.filter { $0.value["actions"] != ["no-op"] }.keys
        if !saidToChange.isEmpty,
            saidToChange.allSatisfy({ address in current.changes.first { $0.address.description == address }?.action == .noOp })
        {
            return "this plan was already applied: every change it holds is in place at the vendors now; nothing was sent"
        }
        var moved: [String] = []
        let currentViews = Dictionary(
            PlanJSONView().value(current)["resource_changes"]?.arrayValue?.compactMap { entry in entry["address"]?.stringValue.map { ($0, entry) } } ?? [],
            uniquingKeysWith: { first, _ in first })
        let addresses = Set(connections.keys).union(current.fingerprintsByConnection.keys).sorted()
        for address in addresses {
            let before = connections[address]
            let now = current.fingerprintsByConnection[address]
            guard let before, let now else {
                moved.append("\(address) \(before == nil ? "is new in the plan" : "is no longer in the plan")")
                continue
            }
            let saved = savedChanges[address.description] ?? .null
            let fresh = currentViews[address.description] ?? .null
            if before.desired != now.desired {
                moved.append("\(address) changed in the desired state" + Self.field(saved["after"], fresh["after"]))
            }
            if before.remote != now.remote {
                moved.append("\(address) changed at the vendor" + Self.field(saved["before"], fresh["before"]))
            }
        }
        for (provider, hash) in providers.sorted(by: { $0.key < $1.key }) where current.remoteFingerprintsByProvider[provider] != hash {
            if !moved.contains(where: { $0.hasPrefix(provider + "/") }) {
                moved.append("at \(provider), a connection this plan does not manage was added, removed or changed")
            }
        }
        if moved.isEmpty { moved.append(desiredFingerprint != current.desiredFingerprint ? "the Providers changed" : "the remote state changed") }
        let shown = moved.prefix(5).joined(separator: "; ") + (moved.count > 5 ? "; and \(moved.count - 5) more" : "")
        return "the plan no longer matches: \(shown). Nothing was sent; run `connsync plan --out` again to review the new plan"
    }

    /// ` (field port)`: the first path where two masked views differ; empty when only a secret did.
    static func field(_ saved: Value?, _ current: Value?) -> String {
        var paths: [String] = []
        func walk(_ lhs: Value?, _ rhs: Value?, _ path: String) {
            guard paths.count < 3 else { return }
            if case .object(let a)? = lhs, case .object(let b)? = rhs {
                for key in Set(a.keys).union(b.keys).sorted() { walk(a[key], b[key], path.isEmpty ? key : "\(path).\(key)") }
            } else if lhs != rhs {
                paths.append(path.isEmpty ? "the whole connection" : path)
            }
        }
        walk(saved, current, "")
        return paths.isEmpty ? " (a secret)" : " (\(paths.joined(separator: ", ")))"
    }
}
