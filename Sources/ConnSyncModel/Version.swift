/// connsync's version: printed by `connsync --version`, sent as `User-Agent: connsync/<version>`.
public enum ConnSyncVersion {
    public static let current = "0.1.0"

    public static var userAgent: String { "connsync/\(current)" }
}
