#ifndef CONNSYNC_CLIBGIT2_H
#define CONNSYNC_CLIBGIT2_H
// libgit2's declarations, for Swift. The functions connsync calls are defined in
// libgit2_loader.c, which opens libgit2 with dlopen on first use: a process that never reads
// git (`validate --dir`, `plan --dir` outside a work tree) does not load libgit2 and the
// fifteen libraries it needs (OpenSSL's libcrypto, Kerberos, libssh2, mbed TLS...).
#include <git2.h>
#include <stddef.h>

/// Opens libgit2 and resolves every function connsync calls, once per process. NULL when it
/// is ready; otherwise why not (a static string). Call it before any other git_ function.
const char *connsync_libgit2_load(void);

/// The soname `connsync_libgit2_load` opens: the one of the headers built against.
const char *connsync_libgit2_soname(void);

/// Opens `name` and resolves every function connsync calls from it, then closes it: the
/// check `connsync_libgit2_load` makes, for tests. 0 when all resolve; otherwise -1 with the
/// reason written to `reason` (at most `size` bytes, NUL-terminated).
int connsync_libgit2_probe(const char *name, char *reason, size_t size);

#endif
