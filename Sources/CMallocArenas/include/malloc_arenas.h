#ifndef CONNSYNC_MALLOC_ARENAS_H
#define CONNSYNC_MALLOC_ARENAS_H

/// mallopt(M_ARENA_MAX, count), which Swift does not import: at most `count` glibc malloc
/// arenas for the whole process. Returns 1 when set, 0 when glibc refused it.
int connsync_set_malloc_arena_max(int count);

#endif
