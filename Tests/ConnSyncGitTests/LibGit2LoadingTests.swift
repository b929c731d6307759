import CLibGit2
import ConnSyncGit
import Foundation
import TestSupport
import Testing

/// libgit2 is opened with dlopen on first use, not linked: a command that reads no git does
/// not load it and its fifteen libraries at start-up (README → Performance).
@Suite("libgit2 opened on first use")
struct LibGit2LoadingTests {
    /// The probe `connsync_libgit2_load` makes, on a library by name.
    func probe(_ name: String) -> (status: Int32, reason: String) {
        var reason = [CChar](repeating: 0, count: 512)
        let status = connsync_libgit2_probe(name, &reason, reason.count)
        return (status, String(decoding: reason.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    @Test func theInstalledLibgit2HasEveryFunctionConnsyncCalls() {
        let soname = String(cString: connsync_libgit2_soname())
        #expect(soname.hasPrefix("libgit2.so."))
        let result = probe(soname)
        #expect(result.status == 0, "\(result.reason)")
    }

    @Test func aMissingLibraryIsAnErrorNamingIt() {
        let result = probe("libconnsync-no-such-git.so.0")
        #expect(result.status == -1)
        #expect(result.reason.contains("libconnsync-no-such-git.so.0"))
    }

    @Test func aLibraryWithoutLibgit2sFunctionsIsRefusedByName() {
        // libyaml is linked by connsync, so it is present wherever connsync runs.
        let result = probe("libyaml-0.so.2")
        #expect(result.status == -1)
        #expect(result.reason.contains("libyaml-0.so.2 has no function git_"), "\(result.reason)")
    }

    @Test func theErrorForAMissingLibgit2SaysWhatToInstall() {
        let message = GitError.libraryMissing("libgit2.so.1.5: cannot open shared object file").description
        #expect(message.contains("libgit2 could not be loaded (libgit2.so.1.5: cannot open shared object file)"))
        #expect(message.contains(String(cString: connsync_libgit2_soname())))
        #expect(message.contains("libgit2-dev"))
    }

    /// The dynamic loader's own account (glibc's LD_DEBUG=files) of what a process opened.
    @Test func validateOfAFolderNeverLoadsLibgit2AndOfARepositoryDoes() async throws {
        try await withTemporaryDirectory { directory in
            let provider = """
                apiVersion: connsync/v1
                kind: Provider
                metadata: {name: wm}
                spec:
                  type: wiremock-cloud
                  baseURL: http://127.0.0.1:9
                  auth: {token: {fromEnv: WM_TOKEN}}
                  userId: u1

                """
            try directory.write(provider, to: "repo/connsync/providers.yaml")
            let repository = directory.url.appendingPathComponent("repo").path
            try await git(["init", "-q", "-b", "main"], in: repository)
            try await git(["add", "-A"], in: repository)
            try await git(["commit", "-q", "-m", "providers"], in: repository)

            let folder = try await runConnsync(
                ["validate", "--dir", repository + "/connsync"], environment: ["LD_DEBUG": "files", "WM_TOKEN": "t"])
            #expect(folder.status == 0, "\(folder.stderr.suffix(500))")
            #expect(folder.stderr.contains("file=libyaml"), "LD_DEBUG=files reports what is loaded")
            #expect(!folder.stderr.contains("libgit2"))
            #expect(!folder.stderr.contains("libcrypto"))

            let git = try await runConnsync(
                ["validate", "--repo", repository, "--ref", "main", "--path", "connsync"], environment: ["LD_DEBUG": "files", "WM_TOKEN": "t"])
            #expect(git.status == 0, "\(git.stderr.suffix(500))")
            #expect(git.stdout.contains("Valid: 1 provider"))
            #expect(git.stderr.contains("file=\(String(cString: connsync_libgit2_soname())) [0];  dynamically loaded"))
        }
    }
}
