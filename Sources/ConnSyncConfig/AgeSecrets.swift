import ConnSyncAge
import ConnSyncModel
import Foundation

/// Decrypts age-encrypted `fromFile` secrets (config-format v1.1) with the identities of one
/// identity file, read once per load, on first need.
final class AgeSecrets: @unchecked Sendable {
    /// An identity file larger than this is refused.
    static let maximumIdentityFileSize = 1 << 20

    let identityFile: String?
    private let lock = NSLock()
    private var identities: Result<[AgeIdentity], SecretResolutionError>?

    init(identityFile: String?) {
        self.identityFile = identityFile
    }

    /// `data` itself, or its plaintext when it is an age file.
    func plaintext(_ data: Data, path: String) throws(SecretResolutionError) -> Data {
        guard Age.isEncrypted(data) else { return data }
        let identities = try loadIdentities(for: path)
        do throws(AgeError) {
            return try Age.decrypt(data, identities: identities, maximumSize: FileSystem.maximumSecretSize)
        } catch {
            throw .undecryptable(path: path, reason: error.description)
        }
    }

    private func loadIdentities(for path: String) throws(SecretResolutionError) -> [AgeIdentity] {
        guard let identityFile else { throw .noAgeIdentity(path: path) }
        let result = lock.withLock { () -> Result<[AgeIdentity], SecretResolutionError> in
            if let identities { return identities }
            let loaded = Result { () throws(SecretResolutionError) -> [AgeIdentity] in
                let data: Data
                do throws(FileSystem.ReadError) {
                    data = try FileSystem.read(identityFile, maximumSize: Self.maximumIdentityFileSize)
                } catch {
                    throw .unreadableIdentityFile(path: identityFile, reason: error.description)
                }
                do throws(AgeError) {
                    return try Age.identities(fromFile: String(decoding: data, as: UTF8.self))
                } catch {
                    throw .unreadableIdentityFile(path: identityFile, reason: error.description)
                }
            }
            identities = loaded
            return loaded
        }
        return try result.get()
    }
}
