import ArgumentParser
import Foundation
import ConnSyncConfig
import ConnSyncEngine
import ConnSyncGit
import ConnSyncModel
import ConnSyncProviders

extension CommandContext {
    /// The providers of `desired` that nothing may be sent to in this run, decided before any
    /// request: new or changed relative to the trusted source, or on a host no pattern allows.
    /// Prints the error and exits 1 when the trusted source or a pattern cannot be read.
    func gate(_ trust: TrustSpec, source: SourceSpec, desired: DesiredState) throws -> Engine.ProviderGate {
        var refusals: [String: String] = [:]
        var removals: [String: String] = [:]
        do {
            if let trusted = try trustedProviders(trust, source: source) {
                refusals = trusted.refusals(for: desired.providers, isInSource: { path in Self.isInside(path, folder: source.repo == nil ? (source.dir ?? ".") : nil) })
                removals = trusted.removals(from: desired.providers)
            }
            let patterns = trust.allowHost + (environment["CONNSYNC_ALLOW_HOSTS"] ?? "").split(separator: ",").map(String.init)
            let allowed = try HostAllowList(patterns: patterns)
            for provider in desired.providers where refusals[provider.name] == nil {
                guard let base = vendors.definition(for: provider.type)?.rules.baseURL(of: provider) else { continue }
                if let refusal = allowed.refusal(provider: provider.name, baseURL: base) { refusals[provider.name] = refusal }
            }
        } catch let error as ExitCode {
            throw error
        } catch {
            console.error("Error: \(ErrorText.describe(error))")
            throw ExitCode(1)
        }
        return Engine.ProviderGate(refusals: refusals, removals: removals)
    }

    /// Whether `path` (absolute) resolves inside the folder source `folder`; a git source's files
    /// are read from the commit, never through an absolute path.
    static func isInside(_ path: String, folder: String?) -> Bool {
        guard let folder else { return false }
        let real = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let root = URL(fileURLWithPath: folder).resolvingSymlinksInPath().path
        return real == root || real.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }

    /// The trusted source's Providers, or nil when no trusted source is named.
    func trustedProviders(_ trust: TrustSpec, source: SourceSpec) throws -> TrustedProviders? {
        guard let trusted = try trustedSource(trust, source: source) else { return nil }
        return try TrustedProviders.load(from: trusted.source, reference: trusted.reference, vendors: vendors.catalog)
    }

    /// The trusted source and how messages name it, or nil when none is named.
    func trustedSource(_ trust: TrustSpec, source: SourceSpec) throws -> (source: any DesiredStateSource, reference: String)? {
        if let directory = trust.trustedDir {
            return (DirectorySource(directory: directory), "the trusted folder \(directory)")
        }
        let ref = trust.trustedRef ?? environment["CONNSYNC_TRUSTED_REF"].flatMap { $0.isEmpty ? nil : $0 }
        guard let ref else { return nil }
        guard let repo = source.repo else {
            console.error(
                "Error: --trusted-ref (or CONNSYNC_TRUSTED_REF) needs --repo: the Providers are compared with those at that ref; for a folder, give --trusted-dir")
            throw ExitCode(1)
        }
        let trusted = try GitSource.open(
            repository: repo, ref: ref, path: source.path, cacheDirectory: gitCacheDirectory(),
            credentials: GitCredentials.fromEnvironment(environment, sshKeyPath: source.sshKey))
        return (trusted, "the trusted ref \(ref)")
    }
}
