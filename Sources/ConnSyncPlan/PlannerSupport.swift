import ConnSyncModel

extension Planner {
    /// The ids are the vendor's text: cleaned (redacted, escaped, bounded) before they are shown.
    static func duplicateMessage(name: String, provider: String, matches: [RemoteObject], redactor: Redactor) -> String {
        let ids = matches.compactMap(\.id).map { VendorText.clean($0, redactor: redactor) }
        let idText = ids.isEmpty ? "" : " (ids \(ids.joined(separator: ", ")))"
        return "\(matches.count) remote connections at \(provider) are named \"\(name)\"\(idText); "
            + "connsync never guesses: rename or delete the extra one at the vendor, then plan again"
    }
}

extension Change {
    /// The change as the plan holds it. The applied-value hash goes into its record update
    /// now when the plan carries fingerprints (the desired fingerprint needs it), or when
    /// `after`, which it is made from, is dropped from a change whose record apply writes;
    /// otherwise apply works it out (the same function, ``appliedValueHash(_:)``). The views
    /// are dropped unless `views`.
    func held(views: Bool, recorded: Bool, fingerprints: Bool, hasher: SecretHasher) -> Change {
        var copy = self
        if fingerprints || (!views && recorded), let hash = appliedValueHash(hasher) { copy.recordUpdate?.appliedValueHash = hash }
        if !views {
            copy.before = nil
            copy.after = nil
        }
        return copy
    }
}

extension PriorRecord {
    /// Whether apply writes the record of a connection already in step: state has none, a
    /// remote id was learnt, the hashes of its secrets differ, or an interrupted run left a
    /// change pending. The one rule, for the planner and the engine's record keeper.
    public static func bringsInStep(_ prior: PriorRecord?, remoteID: String?, secretHashes: [String: String]) -> Bool {
        guard let prior else { return true }
        return prior.remoteID != remoteID || prior.secretHashes != secretHashes || prior.interrupted != nil
    }
}
