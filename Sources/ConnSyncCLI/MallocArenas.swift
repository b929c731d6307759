import CMallocArenas
import ConnSyncModel

/// How many glibc malloc arenas the process may use: one per core (at least two), where glibc
/// allows eight per core. Every thread that meets a locked arena gets one of its own, and
/// memory freed into one arena serves no other, so a 50,000-connection apply kept tens of
/// megabytes more than it needed (README → Performance has the figures). One arena for
/// everything was slower: the parallel YAML reading waited on its lock.
public enum MallocArenas {
    /// The limit for a process, or nil when the user chose one (`MALLOC_ARENA_MAX`, or
    /// `glibc.malloc.arena_max` in `GLIBC_TUNABLES`): theirs stands.
    public static func limit(environment: [String: String], cores: Int) -> Int? {
        if environment["MALLOC_ARENA_MAX"] != nil { return nil }
        if environment["GLIBC_TUNABLES"]?.contains("glibc.malloc.arena_max") == true { return nil }
        return max(2, cores)
    }

    /// Sets the limit; the executable's first call, before any thread starts (arenas made
    /// before it are not taken back). True when glibc took a limit of ours.
    @discardableResult
    public static func limitThisProcess(environment: [String: String]) -> Bool {
        guard let count = limit(environment: environment, cores: Parallel.cores) else { return false }
        return connsync_set_malloc_arena_max(Int32(count)) == 1
    }
}
