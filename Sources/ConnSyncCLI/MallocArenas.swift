import CMallocArenas
import ConnSyncModel

/// How many glibc malloc arenas the process may use: one per core and one more (at least
/// two), where glibc allows eight per core. Every thread that meets a locked arena gets one
/// of its own, and memory freed into one arena serves no other, so a 50,000-connection apply
/// kept tens of megabytes more than it needed. One per core was too few: `plan` reads the
/// desired state on a task's thread and a helper while the main thread waits, and with two
/// arenas on two cores the helper often shared the task's arena and waited on its lock
/// (README → Performance has the figures).
public enum MallocArenas {
    /// The limit for a process, or nil when the user chose one (`MALLOC_ARENA_MAX`, or
    /// `glibc.malloc.arena_max` in `GLIBC_TUNABLES`): theirs stands.
    public static func limit(environment: [String: String], cores: Int) -> Int? {
        if environment["MALLOC_ARENA_MAX"] != nil { return nil }
        if environment["GLIBC_TUNABLES"]?.contains("glibc.malloc.arena_max") == true { return nil }
        return max(2, cores + 1)
    }

    /// Sets the limit; the executable's first call, before any thread starts (arenas made
    /// before it are not taken back). True when glibc took a limit of ours.
    @discardableResult
    public static func limitThisProcess(environment: [String: String]) -> Bool {
        guard let count = limit(environment: environment, cores: Parallel.cores) else { return false }
        return connsync_set_malloc_arena_max(Int32(count)) == 1
    }
}
