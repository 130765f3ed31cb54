// Leftovers of killed runs. A replsim killed with SIGKILL cannot clean up: its run directory
// stays, and servers it had paused (SIGSTOP) stay stopped under PID 1 forever — their
// postmaster dies of PR_SET_PDEATHSIG, but its children, each in a session of its own
// (PostgreSQL's InitPostmasterChild calls setsid), cannot act on the postmaster's death while
// stopped. So every run directory records its owner, and the next run removes what a dead
// owner left (docs/harness.md, "Signals and cleanup").
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "vocab/status.h"

namespace replsim::harness {

// Writes RUN_DIR/owner: this process's PID and start time (field 22 of /proc/self/stat, clock
// ticks since boot), which together name it even after its PID is reused.
Status record_owner(const std::string& run_dir);

// Whether the owner recorded in RUN_DIR/owner is still the same live process. A directory
// without an owner file counts as owned by a live process while younger than ten minutes (it
// may be one being made right now).
bool owner_alive(const std::string& run_dir);

// For each replsim-run-* directory in `parent` owned by `owner_uid` (the servers' user, who owns
// run directories) whose owner is dead:
// sends SIGCONT then SIGKILL to every process whose working directory lies inside it (the
// servers of that run: a postmaster and all its children work in their data directory, and
// nobody else can enter the private 0700 directory), then removes it. Returns one line per
// directory removed: "removed DIR left by dead replsim PID N (killed K processes)".
std::vector<std::string> remove_dead_runs(const std::string& parent, uid_t owner_uid);

}  // namespace replsim::harness
