#include "malloc_arenas.h"

#if __has_include(<malloc.h>)
#include <malloc.h>
#endif

int connsync_set_malloc_arena_max(int count) {
#if defined(M_ARENA_MAX)
    return mallopt(M_ARENA_MAX, count);
#else
    (void)count;
    return 0;
#endif
}
