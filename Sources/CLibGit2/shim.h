#ifndef CONNSYNC_CLIBGIT2_SHIM_H
#define CONNSYNC_CLIBGIT2_SHIM_H
#include <git2.h>
#endif
