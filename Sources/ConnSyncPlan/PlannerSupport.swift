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
    /// With the applied-value hash in its record update when `hasher` is given: only the
    /// desired fingerprint needs it at plan time; otherwise apply works it out (the same
    /// function, ``appliedValueHash(_:)``) for the records it writes.
    func withAppliedValueHash(_ hasher: SecretHasher?) -> Change {
        guard let hasher, let hash = appliedValueHash(hasher) else { return self }
        var copy = self
        copy.recordUpdate?.appliedValueHash = hash
        return copy
    }
}
