import ConnSyncModel

/// What a saved plan is checked by when `apply PLANFILE` runs: keyed hashes of everything
/// observed and desired in scope, whole and per connection (so a refusal can name what moved).
/// Computed only for plans that are saved or checked against a saved one.
extension Planner {
    func remoteFingerprint(scope: [String], observations: [String: ProviderObservation], hasher: SecretHasher) -> String {
        var parts: [String] = ["remote"]
        for providerName in scope {
            switch observations[providerName] {
            case .observed(let objects)?:
                let sorted = objects.sorted { ($0.name, $0.id ?? "") < ($1.name, $1.id ?? "") }
                parts.append(contentsOf: ["provider", providerName, String(sorted.count)])
                parts.append(contentsOf: Parallel.map(sorted) { $0.raw.jsonString() })
            case .failed(let message)?:
                parts.append(contentsOf: ["failed", providerName, message])
            case nil:
                parts.append(contentsOf: ["missing", providerName])
            }
        }
        // Parts are length-prefixed by the hasher, so the concatenation is unambiguous.
        return hasher.hash(parts: parts)
    }

    /// Built from each planned connection's applied-value hash (a keyed hash of its whole
    /// desired view), so the desired state is not serialized a second time.
    func desiredFingerprint(connections: [DesiredConnection], changes: [Change], desired: DesiredState, hasher: SecretHasher)
        -> String
    {
        var parts: [String] = ["desired"]
        for provider in desired.providers {
            // The base URL as written: a default follows from the type.
            let settings = provider.settings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            parts.append(
                ([provider.name, provider.type.rawValue, provider.baseURL ?? "", String(provider.prune)] + settings)
                    .joined(separator: "\u{1F}"))
        }
        var applied: [Address: String] = [:]
        applied.reserveCapacity(changes.count)
        for index in changes.indices {
            if let hash = changes[index].recordUpdate?.appliedValueHash { applied[changes[index].address] = hash }
        }
        for connection in connections {
            parts.append(connection.address.description)
            parts.append(applied[connection.address] ?? "not planned")
        }
        return hasher.hash(parts: parts)
    }

    /// Per connection: a keyed hash of the remote view the plan was made from, and of the
    /// desired view it applies (`absent` when there is none).
    func connectionFingerprints(_ changes: [Change], hasher: SecretHasher) -> [Address: ConnectionFingerprint] {
        var result: [Address: ConnectionFingerprint] = [:]
        result.reserveCapacity(changes.count)
        for change in changes {
            let remote = change.before.map { hasher.hash(parts: ["remote-view", change.address.description, $0.jsonString()]) } ?? "absent"
            result[change.address] = ConnectionFingerprint(remote: remote, desired: change.recordUpdate?.appliedValueHash ?? "absent")
        }
        return result
    }
}

/// The keyed hashes of one connection's remote and desired views in a plan.
public struct ConnectionFingerprint: Sendable, Hashable {
    public var remote: String
    public var desired: String

    public init(remote: String, desired: String) {
        self.remote = remote
        self.desired = desired
    }
}
