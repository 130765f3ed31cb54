#include "harness/pg_binaries.h"

#include <unistd.h>

#include <fmt/format.h>

#include <cstdlib>

namespace replsim::harness {

std::string resolve_pg_bindir(const std::string& bindir) {
  if (!bindir.empty()) return bindir;
  const char* env = std::getenv("REPLSIM_PG_BINDIR");
  return env != nullptr && *env != '\0' ? std::string(env) : std::string(kDefaultPgBindir);
}

Status check_pg_binaries(const std::string& bindir) {
  for (const char* tool : {"postgres", "initdb", "pg_basebackup"}) {
    if (access((bindir + "/" + tool).c_str(), X_OK) != 0) {
      return Status::NotFound(
          fmt::format("PostgreSQL server binary {}/{} not found or not executable (looked in {}); install "
                      "postgresql-15, or give the directory `pg_config --bindir` prints with --pg-bindir DIR or "
                      "REPLSIM_PG_BINDIR",
                      bindir, tool, bindir));
    }
  }
  return Status::Ok();
}

}  // namespace replsim::harness
