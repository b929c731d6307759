import ConnSyncModel

extension CredibleData {
    /// The demo starts with no credible-data connection at all; the benchmark's project.
    static let samples = VendorSamples(
        demoStory: "no credible-data connection at all",
        demoSecrets: ["CREDIBLE_TOKEN": "demo-credible-token"],
        benchSettings: ["project": "bench"],
        benchRemoteExtras: ["description": "Orders warehouse replica, read-only; owned by the data platform team (on-call: #data-oncall)"],
        benchSeed: VendorSamples.seedByName(["project": "bench"]),
        benchGetPath: { _, name in "/api/v0/projects/bench/connections/\(MappingSupport.pathSegment(name))" })
}
