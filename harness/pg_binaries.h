// Where the PostgreSQL 15 server binaries are, and whether they are there: one place for the
// default (--pg-bindir, else $REPLSIM_PG_BINDIR, else /usr/lib/postgresql/15/bin) and for the
// message a missing PostgreSQL gets, so every verb that runs real PostgreSQL says the same.
#pragma once

#include <string>

#include "vocab/status.h"

namespace replsim::harness {

inline constexpr const char* kDefaultPgBindir = "/usr/lib/postgresql/15/bin";

// `bindir` when it is set, else $REPLSIM_PG_BINDIR when that is set, else kDefaultPgBindir.
std::string resolve_pg_bindir(const std::string& bindir);

// Ok when `bindir` (already resolved) holds executable postgres, initdb and pg_basebackup; else
// NotFound naming the directory and the binary, and how to point replsim at the right one
// (--pg-bindir DIR or REPLSIM_PG_BINDIR).
Status check_pg_binaries(const std::string& bindir);

}  // namespace replsim::harness
