#include "cli/pg_bindir_option.h"

#include <cstdio>

#include "cli/cli_conventions.h"
#include "harness/pg_binaries.h"

namespace replsim::cli {

void add_pg_bindir_option(CLI::App* cmd, std::string* dir, const std::string& prefix) {
  dir_option(cmd->add_option(
      "--pg-bindir", *dir,
      prefix + "PostgreSQL 15 server binaries (default: $REPLSIM_PG_BINDIR, else " + harness::kDefaultPgBindir + ")"));
}

bool pg_binaries_present(const std::string& dir, const std::string& verb) {
  const Status s = harness::check_pg_binaries(harness::resolve_pg_bindir(dir));
  if (s.ok()) return true;
  std::fprintf(stderr, "replsim %s: could not run: %s\n", verb.c_str(), s.message().c_str());
  return false;
}

}  // namespace replsim::cli
