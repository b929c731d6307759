import ConnSyncModel

extension CredibleData {
    /// The demo starts with no credible-data connection at all; the benchmark's project.
    static let samples = VendorSamples(
        demoStory: "no credible-data connection at all",
        demoSecrets: ["CREDIBLE_TOKEN": "demo-credible-token"],
        benchSettings: ["project": "bench"],
        benchSeed: VendorSamples.seedByName(["project": "bench"]),
        benchGetPath: { _, name in "/api/v0/projects/bench/connections/\(MappingSupport.pathSegment(name))" })
}
