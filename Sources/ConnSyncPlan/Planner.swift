import ConnSyncModel

/// The planner: a pure function of (desired, observed, state) → ``Plan``.
///
/// It decides; providers only report. Write-only secrets are compared through
/// the keyed hashes state keeps, so an unchanged secret never shows as a diff and
/// a rotated one shows as `(sensitive value changed)`.
public struct Planner: Sendable {
    private let mappings: [VendorType: any VendorMapping]

    public init(mappings: [any VendorMapping]) {
        var table: [VendorType: any VendorMapping] = [:]
        for mapping in mappings { table[mapping.vendor] = mapping }
        self.mappings = table
    }

    /// The providers whose remote connections a plan for `input` must observe.
    public static func providersInScope(desired: DesiredState, records: [PriorRecord], targets: [Address]) -> [String] {
        var names = Set<String>()
        let targetSet = Set(targets)
        for connection in desired.connections where targetSet.isEmpty || targetSet.contains(connection.address) {
            names.insert(connection.address.provider)
        }
        // A record connsync created that is no longer desired brings its provider in when
        // prune is on (only records of providers not already in scope need the lookup).
        var desiredAddresses: Set<Address>?
        for record in records where record.isCreatedByConnsync && !names.contains(record.address.provider) {
            guard let provider = desired.provider(named: record.address.provider), provider.prune else { continue }
            guard targetSet.isEmpty || targetSet.contains(record.address) else { continue }
            let addresses = desiredAddresses ?? Set(desired.connections.map(\.address))
            desiredAddresses = addresses
            if !addresses.contains(record.address) { names.insert(provider.name) }
        }
        return names.sorted()
    }

    /// Plans the desired connections of one observed provider: what ``plan(_:preplanned:)``
    /// would do for them, done early, e.g. as soon as that provider's list pages arrived
    /// while others are still answering. Nil when the provider was not observed (its failure
    /// is the final plan's to report).
    package func planConnections(of providerName: String, _ input: PlanInput) -> ProviderPlan? {
        guard case .observed(let objects)? = input.observations[providerName] else { return nil }
        var remoteByName: [String: [RemoteObject]] = [:]
        remoteByName.reserveCapacity(objects.count)
        for object in objects { remoteByName[object.name, default: []].append(object) }
        guard let provider = input.desired.provider(named: providerName), let mapping = mappings[provider.type] else {
            return ProviderPlan(provider: providerName, unmatched: remoteByName, outcomes: [], listNotes: [])
        }
        let hasher = SecretHasher(key: input.secretKey)
        let fingerprints = input.fingerprints
        let keepsViews = (noOp: input.keepsViews(sentBy: nil), change: input.keepsViews(sentBy: mapping))
        let targetSet = Set(input.targets)
        let all = input.desired.connections
        // Names of every desired connection of the provider, targeted or not: a remote object
        // of another name is one the plan may prune or leave alone.
        var desiredNames = Set<String>()
        var indices: [Int] = []
        for index in all.indices where all[index].address.provider == providerName {
            desiredNames.insert(all[index].name)
            if targetSet.isEmpty || targetSet.contains(all[index].address) { indices.append(index) }
        }
        // This provider's records by name (the first wins, as everywhere in the planner).
        var priors: [String: PriorRecord] = [:]
        for record in input.records where record.address.provider == providerName && priors[record.address.name] == nil {
            priors[record.address.name] = record
        }
        let remoteIndex = remoteByName
        let recordIndex = priors
        // Each connection is planned on its own (a pure function): spread them over the cores.
        let outcomes = Parallel.map(indices) { index -> (index: Int, outcome: Result<Change, MappingError>) in
            let connection = all[index]
            let matches = remoteIndex[connection.name] ?? []
            do throws(MappingError) {
                return (
                    index,
                    .success(
                        try planConnection(
                            connection, provider: provider, mapping: mapping, matches: matches, prior: recordIndex[connection.name],
                            hasher: hasher, fingerprints: fingerprints, keepsViews: keepsViews, redactor: input.redactor))
                )
            } catch {
                return (index, .failure(error))
            }
        }
        return ProviderPlan(
            provider: providerName, unmatched: remoteByName.filter { !desiredNames.contains($0.key) },
            outcomes: outcomes, listNotes: mapping.listNotes(objects))
    }

    /// The plan of `input`.
    public func plan(_ input: PlanInput) -> Plan {
        plan(input, preplanned: [])
    }

    /// The plan of `input`. `preplanned` holds providers already planned with
    /// ``planConnections(of:_:)`` from this same input; the others are planned here.
    package func plan(_ input: PlanInput, preplanned: [ProviderPlan]) -> Plan {
        let hasher = SecretHasher(key: input.secretKey)
        let targetSet = Set(input.targets)
        let all = input.desired.connections
        let desiredAddresses = input.records.isEmpty && targetSet.isEmpty ? [] : Set(all.map(\.address))
        var changes: [Change] = []
        var problems: [PlanProblem] = []
        var notes: [String] = []
        var recordsToDrop: [Address] = []

        if !targetSet.isEmpty {
            let recordAddresses = Set(input.records.map(\.address))
            for target in input.targets.sorted() where !desiredAddresses.contains(target) && !recordAddresses.contains(target) {
                problems.append(
                    PlanProblem(
                        address: target, provider: target.provider,
                        message: "no connection matches --target \(target) in the desired state or in connsync's state; check the PROVIDER/NAME spelling"))
            }
        }

        let scope = Self.providersInScope(desired: input.desired, records: input.records, targets: input.targets)
        // Remote objects no desired connection is named after, by provider and name.
        var remoteByProvider: [String: [String: [RemoteObject]]] = [:]
        var listNotes: [String: [String]] = [:]
        // Outcomes by the connection's index in the desired state.
        var outcomes = [Result<Change, MappingError>?](repeating: nil, count: all.count)
        for providerName in scope {
            // A provider planned early was observed (the engine need not hold its list since);
            // planConnections plans the others that were, and is nil for the rest.
            if let planned = preplanned.first(where: { $0.provider == providerName }) ?? planConnections(of: providerName, input) {
                remoteByProvider[providerName] = planned.unmatched
                listNotes[providerName] = planned.listNotes
                for (index, outcome) in planned.outcomes { outcomes[index] = outcome }
            } else if case .failed(let message)? = input.observations[providerName] {
                problems.append(PlanProblem(address: nil, provider: providerName, message: message))
            } else {
                problems.append(PlanProblem(address: nil, provider: providerName, message: "not observed"))
            }
        }

        var connectionCount = 0
        changes.reserveCapacity(all.count)
        for index in all.indices where targetSet.isEmpty || targetSet.contains(all[index].address) {
            connectionCount += 1
            switch outcomes[index].take() {
            case .some(.success(let change)):
                // What an interrupted run left is said even when nothing is left to do.
                if change.action == .noOp {
                    for note in change.notes where note.hasPrefix("an earlier apply") { notes.append("\(change.address): \(note)") }
                }
                changes.append(change)
            case .some(.failure(let error)):
                problems.append(PlanProblem(address: all[index].address, provider: all[index].address.provider, message: error.message))
            case .none: break
            }
        }

        // Connections connsync created that are no longer desired: delete with prune, else leave alone.
        let undesired = input.records.filter { !desiredAddresses.contains($0.address) }.sorted { $0.address < $1.address }
        for record in undesired {
            guard targetSet.isEmpty || targetSet.contains(record.address) else { continue }
            guard let provider = input.desired.provider(named: record.address.provider), record.isCreatedByConnsync else { continue }
            guard provider.prune else {
                notes.append("\(record.address) is no longer in the desired state; left alone (prune is off for \(provider.name))")
                continue
            }
            guard let mapping = mappings[provider.type], let unmatched = remoteByProvider[provider.name] else { continue }
            let candidates = unmatched[record.address.name] ?? []
            let matches = record.remoteID.map { id in candidates.filter { $0.id == nil || $0.id == id } } ?? candidates
            if matches.count > 1 {
                problems.append(
                    PlanProblem(
                        address: record.address, provider: provider.name,
                        message: Self.duplicateMessage(name: record.address.name, provider: provider.name, matches: matches, redactor: input.redactor)))
                continue
            }
            guard let remote = matches.first else {
                notes.append("\(record.address) is no longer desired and already gone at the vendor; its state record will be dropped")
                recordsToDrop.append(record.address)
                continue
            }
            let remoteView = mapping.normalize(remote.raw)
            let sensitivity = Sensitivity(secretKeyNames: mapping.secretKeyNames, secretValues: input.redactor)
            let readOnly = mapping.readOnlyReason(remote)
            changes.append(
                Change(
                    address: record.address, vendor: provider.type, remoteID: remote.id, action: .delete,
                    request: mapping.deleteRequest(remote: remote, provider: provider),
                    before: input.keepsViews(sentBy: mapping) ? remoteView : Value?.none,
                    sensitivePaths: nil, sensitivity: sensitivity,
                    notes: mapping.changeNotes(.delete, remote: remote) + (readOnly.map { [$0] } ?? []), refusal: readOnly))
        }

        // What connsync leaves alone: remote connections it does not manage, i.e. remote names
        // that neither a desired connection nor a record (of a connection no longer desired) holds.
        var recordedOnly: [String: Set<String>] = [:]
        if targetSet.isEmpty {
            for record in undesired where remoteByProvider[record.address.provider]?[record.address.name] != nil {
                recordedOnly[record.address.provider, default: []].insert(record.address.name)
            }
        }
        for providerName in scope {
            notes += (listNotes[providerName] ?? []).map { "\(providerName): \($0)" }
            guard let unmatched = remoteByProvider[providerName], targetSet.isEmpty else { continue }
            let unmanaged = unmatched.count - (recordedOnly[providerName]?.count ?? 0)
            if unmanaged > 0 {
                notes.append(
                    "\(providerName): \(unmanaged) remote connection\(unmanaged == 1 ? "" : "s") not in the desired state, left alone")
            }
        }

        return Plan(
            source: input.desired.source,
            changes: changes,
            problems: problems,
            notes: notes,
            recordsToDrop: recordsToDrop,
            remoteFingerprint: input.fingerprints ? remoteFingerprint(scope: scope, observations: input.observations, hasher: hasher) : "",
            desiredFingerprint: input.fingerprints
                ? desiredFingerprint(
                    connections: all.filter { targetSet.isEmpty || targetSet.contains($0.address) }, changes: changes, desired: input.desired,
                    hasher: hasher) : "",
            providerCount: input.desired.providers.count,
            connectionCount: connectionCount,
            providersInScope: scope,
            fingerprintsByConnection: input.fingerprints ? connectionFingerprints(changes, hasher: hasher) : [:],
            remoteFingerprintsByProvider: input.fingerprints
                ? Dictionary(uniqueKeysWithValues: scope.map { ($0, remoteFingerprint(scope: [$0], observations: input.observations, hasher: hasher)) })
                : [:]
        )
    }

    // MARK: - one connection

    private func planConnection(
        _ connection: DesiredConnection, provider: ProviderConfig, mapping: any VendorMapping, matches: [RemoteObject],
        prior: PriorRecord?, hasher: SecretHasher, fingerprints: Bool, keepsViews: (noOp: Bool, change: Bool), redactor: Redactor
    ) throws(MappingError) -> Change {
        if matches.count > 1 {
            throw MappingError(Self.duplicateMessage(name: connection.name, provider: provider.name, matches: matches, redactor: redactor))
        }
        let desiredObject = mapping.vendorObject(for: connection, provider: provider)
        let desiredView = mapping.normalize(desiredObject)
        let secretPaths = desiredView.secretPaths
        var secretHashes: [String: String] = [:]
        for path in secretPaths {
            guard case .secret(let secret)? = desiredView[path: path], let value = secret.value?.revealed() else {
                throw MappingError("the secret at \(path) is not resolved; it cannot be planned")
            }
            secretHashes[path.description] = hasher.hash(secret: value, field: path, of: connection.address)
        }
        var notes: [String] = []
        if !connection.skippedFields.isEmpty {
            notes.append(
                "inherited from Database \(connection.databaseRef ?? "?") but not held by \(provider.type): "
                    + connection.skippedFields.map(\.rawValue).joined(separator: ", ") + " (skipped)")
        }
        switch (prior?.interrupted, matches.isEmpty) {
        case ("create"?, false):
            notes.append("an earlier apply created this connection and was interrupted before recording it: adopted as created by connsync")
        case ("create"?, true):
            notes.append("an earlier apply was interrupted before it could create this connection")
        case ("update"?, _):
            notes.append("an earlier apply was interrupted while updating this connection: planned from what the vendor holds now")
        default:
            break
        }
        let sensitivity = Sensitivity(secretKeyNames: mapping.secretKeyNames, secretValues: redactor)
        let keep = keepsViews.change
        guard let remote = matches.first else {
            notes += mapping.changeNotes(.create, remote: nil)
            let request = try mapping.createRequest(object: desiredObject, connection: connection, provider: provider)
            let differ = Differ(exactPaths: [], removalNote: "", sensitivity: sensitivity)
            return Change(
                address: connection.address, vendor: provider.type, action: .create, request: request,
                diffs: differ.additions(of: desiredView).sorted(by: FieldDiff.displayOrder), after: desiredView,
                sensitivePaths: nil, sensitivity: sensitivity, notes: notes,
                recordUpdate: RecordUpdate(secretHashes: secretHashes, appliedValueHash: nil, isCreatedByConnsync: true)
            ).held(views: keep, recorded: true, fingerprints: fingerprints, hasher: hasher)
        }

        let remoteView = mapping.normalize(remote.raw)
        let differ = Differ(
            exactPaths: mapping.exactPaths(desired: desiredView), removalNote: mapping.removalNote, sensitivity: sensitivity,
            skip: { [mapping] path in mapping.isWriteOnly(path) })
        var diffs = differ.diff(desired: desiredView, remote: remoteView)

        var secretsToSend = Set<FieldPath>()
        for path in secretPaths where mapping.isWriteOnly(path) {
            let recorded = prior?.secretHashes[path.description]
            guard recorded != secretHashes[path.description] else { continue }
            secretsToSend.insert(path)
            diffs.append(
                FieldDiff(
                    path: path, before: nil, after: desiredView[path: path], isSensitive: true,
                    sensitiveSummary: recorded == nil ? "sensitive value, not yet applied by connsync" : "sensitive value changed",
                    kind: .change))
        }
        diffs.sort(by: FieldDiff.displayOrder)

        let isCreatedByConnsync = prior?.isCreatedByConnsync ?? false
        let record = RecordUpdate(secretHashes: secretHashes, appliedValueHash: nil, isCreatedByConnsync: isCreatedByConnsync)
        guard !diffs.isEmpty else {
            return Change(
                address: connection.address, vendor: provider.type, remoteID: remote.id, action: .noOp, before: remoteView,
                after: desiredView, sensitivePaths: nil, sensitivity: sensitivity, notes: notes, recordUpdate: record
            ).held(
                views: keepsViews.noOp, recorded: PriorRecord.bringsInStep(prior, remoteID: remote.id, secretHashes: secretHashes), fingerprints: fingerprints,
                hasher: hasher)
        }

        var refusal: String?
        let cleared = mapping.secretsClearedByUpdate(desired: desiredView, remote: remote, prior: prior)
        if !cleared.isEmpty {
            for path in cleared {
                diffs.append(
                    FieldDiff(
                        path: path, before: .string(Sensitive<String>.mask), after: nil, isSensitive: true,
                        note: "not declared in desired state: the update would clear it", sensitiveSummary: "sensitive value",
                        kind: .remove))
            }
            let names = cleared.map(\.description).joined(separator: ", ")
            refusal =
                "\(provider.type) replaces the whole block on update, which would clear \(names): "
                + "declare \(cleared.count == 1 ? "it" : "them") in the desired state (e.g. spec.password: {fromEnv: NAME}) to apply this change"
        }

        // A remote object the vendor lets no one write: the plan says so, apply refuses it.
        if let reason = mapping.readOnlyReason(remote) {
            notes.append(reason)
            refusal = refusal ?? reason
        }
        notes += mapping.changeNotes(mapping.updateAction, remote: remote)

        let request = try mapping.updateRequest(
            UpdateContext(
                connection: connection, provider: provider, desiredObject: desiredObject, remote: remote,
                changedPaths: diffs.map(\.path), secretsToSend: secretsToSend))
        return Change(
            address: connection.address, vendor: provider.type, remoteID: remote.id, action: mapping.updateAction,
            request: request, diffs: diffs, before: remoteView, after: desiredView, sensitivePaths: nil,
            sensitivity: sensitivity, notes: notes, refusal: refusal, recordUpdate: record
        ).held(views: keep, recorded: true, fingerprints: fingerprints, hasher: hasher)
    }
}
