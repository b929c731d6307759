// posix_spawn with the glibc extensions Swift's Glibc module does not import
// (posix_spawn_file_actions_addclosefrom_np, _addchdir_np): a child that inherits no
// descriptor but its three standard ones, without Foundation's Process (whose scan of
// /proc/self/fd over-reads a dirent and crashes now and then on Swift 6.3's Foundation).
#define _GNU_SOURCE
#include "process_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <signal.h>
#include <spawn.h>

int connsync_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[], const char *cwd, int in_fd, int out_fd,
                   int err_fd) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    int result = posix_spawn_file_actions_init(&actions);
    if (result != 0) return result;
    result = posix_spawnattr_init(&attributes);
    if (result != 0) {
        posix_spawn_file_actions_destroy(&actions);
        return result;
    }
    if (result == 0) result = posix_spawn_file_actions_adddup2(&actions, in_fd, 0);
    if (result == 0) result = posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
    if (result == 0) result = posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
    if (result == 0 && cwd != NULL) result = posix_spawn_file_actions_addchdir_np(&actions, cwd);
    if (result == 0) result = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    if (result == 0) result = posix_spawnattr_setsigdefault(&attributes, &all);
    if (result == 0) result = posix_spawnattr_setsigmask(&attributes, &none);
    if (result == 0) result = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    if (result == 0) result = posix_spawn(pid, path, &actions, &attributes, argv, envp);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    return result;
}

int connsync_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}
