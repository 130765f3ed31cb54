// Child processes started without a shell: argv vectors only, optionally as another
// user (PostgreSQL refuses to run as root), each in its own process group so that a
// terminal's Ctrl-C reaches the harness first and the harness decides what stops.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "vocab/status.h"

namespace replsim::harness {

// Who servers and their tools run as: the invoking user, or `server_user` when root.
struct RunAs {
  bool switch_user = false;  // True when the harness is root: setgid/setgroups/setuid before exec.
  uid_t uid = 0;
  gid_t gid = 0;
  std::string user;
  std::vector<gid_t> groups;  // Supplementary groups, computed before fork (initgroups is not fork-safe).

  // A missing user when root is an InvalidInput error naming it.
  static Result<RunAs> resolve(const std::string& server_user);
};

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is an absolute path.
  std::string output_path;        // stdout and stderr are appended here; empty = /dev/null.
  std::string working_dir;        // Empty = inherit.
  // "NAME=value" entries added to the harness's environment, replacing entries of the same name
  // (the disk gate's LD_PRELOAD and control variables, for one node only).
  std::vector<std::string> extra_env;
};

// Forks and execs; the child dies with the harness thread that forked it (PR_SET_PDEATHSIG).
Result<pid_t> spawn(const SpawnOptions& options, const RunAs& run_as);

// Runs a program to completion within `timeout_ms`. A non-zero exit is an error carrying the
// last lines of its output. `interrupted` is polled; when it returns true the child is killed.
Status run_program(const SpawnOptions& options, const RunAs& run_as, int64_t timeout_ms);

// Every live process whose parent chain leads to `root` (not `root` itself), parents first.
std::vector<pid_t> descendants(pid_t root);

// Its start time (field 22 of /proc/PID/stat, clock ticks since boot), "" when it does not exist:
// with the PID, it names a process even after its PID is reused.
std::string process_start_time(pid_t pid);

// True when `pid` exists and is not a zombie.
bool process_alive(pid_t pid);

// Reaps zombie children of this process among `pids` (children of a killed postmaster are
// reparented to us because the harness is a child subreaper; PID 1 may not reap them).
void reap_adopted(const std::vector<pid_t>& pids);

// Makes orphaned descendants reparent to this process instead of PID 1 (see reap_adopted).
void become_subreaper();

// The last `max_lines` lines of a text file ("" when unreadable).
std::string tail_file(const std::string& path, size_t max_lines);

}  // namespace replsim::harness
