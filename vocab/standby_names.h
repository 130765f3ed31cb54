// synchronous_standby_names, parsed as PostgreSQL 15 parses it (docs 27.2.8
// "Synchronous Replication" and 20.6.2 "Primary Server"; syncrep_gram.y):
//   standby_name [, ...]                     -> FIRST 1 (standby_name [, ...])
//   [FIRST] num_sync ( standby_name [, ...] ) -> priority-based
//   ANY num_sync ( standby_name [, ...] )     -> quorum-based
// Names are identifiers, numbers, "double-quoted" strings or `*` (any standby),
// matched against application_name case-insensitively. An empty value means no
// synchronous standbys: every commit is asynchronous.
#pragma once

#include <string>
#include <vector>

#include "vocab/status.h"

namespace replsim {

struct StandbyNames {
  enum class Method { kPriority, kQuorum };  // FIRST, ANY
  Method method = Method::kPriority;
  int num_sync = 0;                // 0: synchronous replication is off.
  std::vector<std::string> names;  // In priority order; "*" matches any standby.

  bool enabled() const { return num_sync > 0; }
  // 1-based priority of `application_name` (its first match in `names`), 0 if not listed.
  int priority_of(const std::string& application_name) const;
  std::string to_string() const;
};

// REQUIRES: nothing; returns InvalidInput with the 1-based column of the problem in `column`.
Result<StandbyNames> parse_standby_names(const std::string& text, int* error_column = nullptr);

}  // namespace replsim
