#ifndef CONNSYNC_CLIBYAML_SHIM_H
#define CONNSYNC_CLIBYAML_SHIM_H
#include <yaml.h>
#endif
