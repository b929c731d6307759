import Crypto
import Foundation

/// The payload of an age file: a 16-byte nonce, then STREAM: ChaCha20-Poly1305 chunks of
/// 64 KiB of plaintext (the last shorter, or full, and empty only when the whole plaintext
/// is), each sealed under an 11-byte big-endian counter and a last-chunk flag byte.
enum Payload {
    static let nonceSize = 16
    static let chunkSize = 64 * 1024
    private static let tagSize = 16
    private static let sealedChunkSize = chunkSize + tagSize

    /// The plaintext of `payload` (from the nonce to the end of the file) under `fileKey`,
    /// refused before decrypting when it would be longer than `maximumSize` bytes.
    static func decrypt(_ payload: ArraySlice<UInt8>, fileKey: SymmetricKey, maximumSize: Int) throws(AgeError) -> Data {
        guard payload.count >= nonceSize else { throw .damagedPayload(reason: "the file ends before the payload's nonce") }
        let nonce = payload.prefix(nonceSize)
        let sealed = payload.dropFirst(nonceSize)
        guard !sealed.isEmpty else { throw .damagedPayload(reason: "the file ends before the payload's first chunk") }
        // Every chunk but the last is full, so the length alone says where chunks end.
        let chunkCount = (sealed.count + sealedChunkSize - 1) / sealedChunkSize
        let lastChunkSize = sealed.count - (chunkCount - 1) * sealedChunkSize
        guard lastChunkSize >= tagSize else {
            throw .damagedPayload(reason: "the last chunk is shorter than its authentication tag")
        }
        guard lastChunkSize > tagSize || chunkCount == 1 else {
            throw .damagedPayload(reason: "the last chunk is empty although the plaintext is not")
        }
        let plaintextSize = sealed.count - chunkCount * tagSize
        guard plaintextSize <= max(maximumSize, 0) else { throw .plaintextTooLarge(limit: max(maximumSize, 0)) }

        let key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: fileKey, salt: nonce, info: Array("payload".utf8), outputByteCount: 32)
        var plaintext = Data()
        plaintext.reserveCapacity(plaintextSize)
        for index in 0..<chunkCount {
            let start = sealed.startIndex + index * sealedChunkSize
            let chunk = sealed[start..<min(start + sealedChunkSize, sealed.endIndex)]
            let isLast = index == chunkCount - 1
            if let opened = open(chunk, counter: index, last: isLast, key: key) {
                plaintext.append(opened)
                continue
            }
            // Tell a cut or an extension of a sound file from damage inside it.
            if open(chunk, counter: index, last: !isLast, key: key) != nil {
                throw .damagedPayload(
                    reason: isLast
                        ? "the file ends after a chunk that is not the last (it is truncated)"
                        : "data follows the last chunk")
            }
            throw .damagedPayload(reason: "chunk \(index + 1) of \(chunkCount) does not authenticate")
        }
        return plaintext
    }

    /// The plaintext of one sealed chunk, or nil when it does not authenticate under its nonce.
    private static func open(_ chunk: ArraySlice<UInt8>, counter: Int, last: Bool, key: SymmetricKey) -> Data? {
        var nonce = [UInt8](repeating: 0, count: 12)
        for byte in 0..<8 { nonce[10 - byte] = UInt8(truncatingIfNeeded: UInt64(counter) >> UInt64(8 * byte)) }
        nonce[11] = last ? 1 : 0
        guard
            let box = try? ChaChaPoly.SealedBox(
                nonce: ChaChaPoly.Nonce(data: nonce), ciphertext: chunk.dropLast(tagSize), tag: chunk.suffix(tagSize))
        else { return nil }
        return try? ChaChaPoly.open(box, using: key)
    }
}
