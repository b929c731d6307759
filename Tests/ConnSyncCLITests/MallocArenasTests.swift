import ConnSyncCLI
import Testing

@Suite("Malloc arenas")
struct MallocArenasTests {
    @Test(arguments: [(0, 2), (1, 2), (2, 3), (3, 4), (16, 17)])
    func oneArenaPerCoreAndOneMore(cores: Int, expected: Int) {
        #expect(MallocArenas.limit(environment: [:], cores: cores) == expected)
        #expect(MallocArenas.limit(environment: ["PATH": "/usr/bin", "GLIBC_TUNABLES": "glibc.malloc.tcache_count=0"], cores: cores) == expected)
    }

    @Test func theUsersOwnChoiceStands() {
        #expect(MallocArenas.limit(environment: ["MALLOC_ARENA_MAX": "8"], cores: 2) == nil)
        #expect(MallocArenas.limit(environment: ["MALLOC_ARENA_MAX": ""], cores: 2) == nil)
        #expect(MallocArenas.limit(environment: ["GLIBC_TUNABLES": "glibc.malloc.check=0:glibc.malloc.arena_max=1"], cores: 2) == nil)
        #expect(!MallocArenas.limitThisProcess(environment: ["MALLOC_ARENA_MAX": "4"]))
    }

    #if os(Linux)
    @Test func glibcTakesTheLimit() {
        #expect(MallocArenas.limitThisProcess(environment: [:]))
    }
    #endif
}
