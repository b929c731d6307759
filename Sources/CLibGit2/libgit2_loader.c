// libgit2 opened on first use (see include/CLibGit2.h), and every libgit2 function connsync
// calls defined here with libgit2's own signature: each calls through a pointer that
// connsync_libgit2_load resolved with dlsym. The compiler checks every definition against
// git2.h, so a signature cannot drift from the headers built against.
//
// The executable exports these names (Swift links it with --export-dynamic), so where
// libgit2 calls one of its own exported functions through its PLT, that call may reach the
// definition here: it is forwarded to libgit2's own through the same table, which dlsym filled
// from libgit2's handle (a handle's lookup starts at the library, never at the executable).
// libgit2 runs none of its API between dlopen and the end of the resolution (1.5's one
// initializer is the compiler's frame_dummy; git_libgit2_init is called by ConnSyncGit
// afterwards), so no call can arrive here while the table is being filled.
#include "CLibGit2.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Every function connsync calls: VOID(return type, name, parameters, arguments) for those
// returning nothing, VALUE(...) for the rest. A function used from Swift and missing here
// fails to link.
#define CONNSYNC_GIT_FUNCTIONS(VOID, VALUE) \
    VOID(void, git_blob_free, (git_blob *blob), (blob)) \
    VALUE(int, git_blob_lookup, (git_blob **blob, git_repository *repo, const git_oid *id), (blob, repo, id)) \
    VALUE(const void *, git_blob_rawcontent, (const git_blob *blob), (blob)) \
    VALUE(git_object_size_t, git_blob_rawsize, (const git_blob *blob), (blob)) \
    VALUE(int, git_clone, (git_repository **out, const char *url, const char *local_path, const git_clone_options *options), (out, url, local_path, options)) \
    VALUE(int, git_clone_options_init, (git_clone_options *opts, unsigned int version), (opts, version)) \
    VOID(void, git_commit_free, (git_commit *commit), (commit)) \
    VALUE(int, git_commit_lookup, (git_commit **commit, git_repository *repo, const git_oid *id), (commit, repo, id)) \
    VALUE(int, git_commit_tree, (git_tree **tree_out, const git_commit *commit), (tree_out, commit)) \
    VALUE(int, git_credential_ssh_key_from_agent, (git_credential **out, const char *username), (out, username)) \
    VALUE(int, git_credential_ssh_key_new, (git_credential **out, const char *username, const char *publickey, const char *privatekey, const char *passphrase), (out, username, publickey, privatekey, passphrase)) \
    VALUE(int, git_credential_userpass_plaintext_new, (git_credential **out, const char *username, const char *password), (out, username, password)) \
    VALUE(const git_error *, git_error_last, (void), ()) \
    VALUE(int, git_fetch_options_init, (git_fetch_options *opts, unsigned int version), (opts, version)) \
    VALUE(int, git_libgit2_init, (void), ()) \
    VOID(void, git_object_free, (git_object *object), (object)) \
    VALUE(const git_oid *, git_object_id, (const git_object *obj), (obj)) \
    VALUE(int, git_object_peel, (git_object **peeled, const git_object *object, git_object_t target_type), (peeled, object, target_type)) \
    VOID(void, git_odb_free, (git_odb *db), (db)) \
    VALUE(int, git_odb_read_header, (size_t *len_out, git_object_t *type_out, git_odb *db, const git_oid *id), (len_out, type_out, db, id)) \
    VALUE(int, git_oid_fromstr, (git_oid *out, const char *str), (out, str)) \
    VALUE(char *, git_oid_tostr, (char *out, size_t n, const git_oid *id), (out, n, id)) \
    VOID(void, git_reference_free, (git_reference *ref), (ref)) \
    VALUE(int, git_reference_lookup, (git_reference **out, git_repository *repo, const char *name), (out, repo, name)) \
    VALUE(int, git_reference_name_to_id, (git_oid *out, git_repository *repo, const char *name), (out, repo, name)) \
    VALUE(int, git_reference_peel, (git_object **out, const git_reference *ref, git_object_t type), (out, ref, type)) \
    VALUE(const char *, git_reference_symbolic_target, (const git_reference *ref), (ref)) \
    VALUE(int, git_remote_fetch, (git_remote *remote, const git_strarray *refspecs, const git_fetch_options *opts, const char *reflog_message), (remote, refspecs, opts, reflog_message)) \
    VOID(void, git_remote_free, (git_remote *remote), (remote)) \
    VALUE(int, git_remote_lookup, (git_remote **out, git_repository *repo, const char *name), (out, repo, name)) \
    VOID(void, git_repository_free, (git_repository *repo), (repo)) \
    VALUE(int, git_repository_is_bare, (const git_repository *repo), (repo)) \
    VALUE(int, git_repository_odb, (git_odb **out, git_repository *repo), (out, repo)) \
    VALUE(int, git_repository_open_ext, (git_repository **out, const char *path, unsigned int flags, const char *ceiling_dirs), (out, path, flags, ceiling_dirs)) \
    VALUE(int, git_revparse_single, (git_object **out, git_repository *repo, const char *spec), (out, repo, spec)) \
    VALUE(size_t, git_status_list_entrycount, (git_status_list *statuslist), (statuslist)) \
    VOID(void, git_status_list_free, (git_status_list *statuslist), (statuslist)) \
    VALUE(int, git_status_list_new, (git_status_list **out, git_repository *repo, const git_status_options *opts), (out, repo, opts)) \
    VALUE(int, git_status_options_init, (git_status_options *opts, unsigned int version), (opts, version)) \
    VALUE(const git_tree_entry *, git_tree_entry_byindex, (const git_tree *tree, size_t idx), (tree, idx)) \
    VALUE(int, git_tree_entry_bypath, (git_tree_entry **out, const git_tree *root, const char *path), (out, root, path)) \
    VALUE(git_filemode_t, git_tree_entry_filemode, (const git_tree_entry *entry), (entry)) \
    VOID(void, git_tree_entry_free, (git_tree_entry *entry), (entry)) \
    VALUE(const git_oid *, git_tree_entry_id, (const git_tree_entry *entry), (entry)) \
    VALUE(const char *, git_tree_entry_name, (const git_tree_entry *entry), (entry)) \
    VALUE(git_object_t, git_tree_entry_type, (const git_tree_entry *entry), (entry)) \
    VALUE(size_t, git_tree_entrycount, (const git_tree *tree), (tree)) \
    VOID(void, git_tree_free, (git_tree *tree), (tree)) \
    VALUE(int, git_tree_lookup, (git_tree **out, git_repository *repo, const git_oid *id), (out, repo, id))


// One pointer per function.
#define CONNSYNC_POINTER(ret, name, params, args) ret (*name) params;
struct connsync_git_table {
    CONNSYNC_GIT_FUNCTIONS(CONNSYNC_POINTER, CONNSYNC_POINTER)
};

/// dlopen of `name` and dlsym of every function into `table`. The handle is returned open
/// (libgit2 stays loaded for the process), or NULL with `reason` written.
static void *connsync_open_into(const char *name, struct connsync_git_table *table, char *reason, size_t size) {
    void *handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        const char *error = dlerror();
        snprintf(reason, size, "%s", error != NULL ? error : name);
        return NULL;
    }
#define CONNSYNC_RESOLVE(ret, name_, params, args)                                     \
    *(void **)(&table->name_) = dlsym(handle, #name_);                                \
    if (table->name_ == NULL) {                                                        \
        snprintf(reason, size, "%s has no function %s (built against libgit2 %s)", name, #name_, LIBGIT2_VERSION); \
        dlclose(handle);                                                               \
        return NULL;                                                                   \
    }
    CONNSYNC_GIT_FUNCTIONS(CONNSYNC_RESOLVE, CONNSYNC_RESOLVE)
    return handle;
}

static struct connsync_git_table connsync_git;
static pthread_once_t connsync_git_once = PTHREAD_ONCE_INIT;
static char connsync_git_reason[512];
static int connsync_git_ready = 0;

const char *connsync_libgit2_soname(void) {
    return "libgit2.so." LIBGIT2_SOVERSION;
}

static void connsync_load_once(void) {
    connsync_git_ready = connsync_open_into(connsync_libgit2_soname(), &connsync_git, connsync_git_reason, sizeof connsync_git_reason) != NULL;
}

const char *connsync_libgit2_load(void) {
    pthread_once(&connsync_git_once, connsync_load_once);
    return connsync_git_ready ? NULL : connsync_git_reason;
}

int connsync_libgit2_probe(const char *name, char *reason, size_t size) {
    struct connsync_git_table table;
    void *handle = connsync_open_into(name, &table, reason, size);
    if (handle == NULL) return -1;
    dlclose(handle);
    return 0;
}

/// The table, once loaded. A call before a successful connsync_libgit2_load is a bug in
/// connsync (every entry point loads first): it stops the process rather than jump to NULL.
static const struct connsync_git_table *connsync_loaded(void) {
    if (connsync_libgit2_load() != NULL) {
        fprintf(stderr, "connsync: libgit2 called without being loaded: %s\n", connsync_git_reason);
        abort();
    }
    return &connsync_git;
}

#define CONNSYNC_DEFINE_VOID(ret, name, params, args) \
    void name params { connsync_loaded()->name args; }
#define CONNSYNC_DEFINE_VALUE(ret, name, params, args) \
    ret name params { return connsync_loaded()->name args; }
CONNSYNC_GIT_FUNCTIONS(CONNSYNC_DEFINE_VOID, CONNSYNC_DEFINE_VALUE)
