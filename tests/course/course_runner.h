// Runs the course's commands against the built replsim, the way a reader would: each
// chapter's commands in order, in a fresh directory of its own that holds a `scenarios`
// link to the checkout's scenarios/ (the chapters' paths are relative to the checkout).
#pragma once

#include <string>
#include <vector>

#include "course_doc.h"

namespace replsim::testing {

struct CommandRun {
  int exit_code = -1;  // 128 + signal if killed.
  bool timed_out = false;
  std::string out;  // stdout, then stderr.
  double seconds = 0;
};

// A temporary directory, removed by the destructor, with `scenarios` linked in.
class Workdir {
 public:
  Workdir();
  ~Workdir();
  Workdir(const Workdir&) = delete;
  Workdir& operator=(const Workdir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// fork + execv of REPLSIM_BINARY with `args` (no shell) in `dir`, its own process group,
// REPLSIM_HOME unset (so `verify` keeps its run store in `dir`); killed after `timeout_s`.
CommandRun run_replsim(const std::vector<std::string>& args, const std::string& dir, int timeout_s);

// Runs every command of `chapters` whose needs_pg equals `pg`, and checks its exit status,
// its output against the chapter's ```text blocks and that its --html page was written.
// Returns how many commands ran.
int run_and_check_commands(const std::vector<Chapter>& chapters, bool pg);

}  // namespace replsim::testing
