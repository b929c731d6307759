import Foundation

/// Ends a command's process with its exit status while what it built is still alive.
///
/// Returning from `run()` would free a 50,000-connection desired state, plan and remote
/// objects node by node (≈ 0.2–0.3 s of a plan's wall, measured), only for the process to
/// end; the kernel takes the memory back at once. Called only once every output is written
/// (``Console`` writes unbuffered) and every session is closed (its state store and HTTP
/// client shut down).
enum ProcessEnd {
    /// Exits with `status`; `built` (what the command made) stays alive to the end.
    static func now(_ status: Int32, keeping built: some Any) -> Never {
        withExtendedLifetime(built) { exit(status) }
    }
}
