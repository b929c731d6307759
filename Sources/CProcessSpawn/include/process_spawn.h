#ifndef CONNSYNC_PROCESS_SPAWN_H
#define CONNSYNC_PROCESS_SPAWN_H

#include <sys/types.h>

/// Starts `path` with `argv` and `envp` (both NULL-terminated) in `cwd` (NULL: the current
/// folder), its standard input, output and error on `in_fd`, `out_fd` and `err_fd`, every
/// other descriptor closed, every signal at its default disposition and none blocked.
/// Returns 0 and sets `*pid`, or an errno value.
int connsync_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[], const char *cwd, int in_fd, int out_fd,
                   int err_fd);

/// pipe2(fds, O_CLOEXEC): both ends closed on exec (the child gets its ends through dup2).
int connsync_pipe_cloexec(int fds[2]);

#endif
