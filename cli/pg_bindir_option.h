// --pg-bindir DIR, the same on every verb that runs real PostgreSQL (run --real, verify,
// check --real, compare, calibrate), and the check each makes before it starts anything.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace replsim::cli {

// Adds --pg-bindir DIR to `cmd`; `prefix` starts the help text ("With --real: ").
void add_pg_bindir_option(CLI::App* cmd, std::string* dir, const std::string& prefix = "");

// True when the server binaries are in `dir` (resolved as the harness resolves it); else false,
// with the message (the directory, --pg-bindir, REPLSIM_PG_BINDIR) on stderr as "replsim VERB: ...".
// A false is "could not run": the caller exits kExitCouldNotRun.
bool pg_binaries_present(const std::string& dir, const std::string& verb);

}  // namespace replsim::cli
