// ServerProcess: one `postgres -D dir` postmaster, a direct child of the harness so it can
// be reaped (no zombie holding postmaster.pid) and signalled by PID. Only the postmaster
// this object started and that postmaster's descendants are ever signalled.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/subprocess.h"
#include "vocab/status.h"

namespace replsim::harness {

class ServerProcess {
 public:
  // `run_as` must outlive this object.
  ServerProcess(std::string postgres_binary, std::string data_dir, std::string log_path, const RunAs& run_as);
  ~ServerProcess();  // Kills the server if it still runs.
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // `options` are extra command-line arguments ("-c", "name=value"), which override the
  // configuration files for this start only.
  Status start(const std::vector<std::string>& options = {});
  // "NAME=value" entries added to the server's environment at every later start (the disk gate).
  void set_environment(std::vector<std::string> entries) { environment_ = std::move(entries); }
  // Polls postmaster.pid until line 1 names this postmaster and line 8 reads "ready" or
  // "standby"; an exit before that is an error with the server's log lines. Line 1 matters for
  // a data directory copied from a live server: its postmaster.pid already says "ready".
  Status wait_ready(int64_t timeout_ms);
  // Waits for the postmaster to exit on its own (a recovery target with action shutdown).
  Status wait_exit(int64_t timeout_ms);

  bool running();  // Reaps the postmaster if it exited.
  std::optional<int> exit_status() const { return exit_status_; }
  pid_t pid() const { return pid_; }
  bool paused() const { return paused_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& log_path() const { return log_path_; }
  std::string log_tail(size_t lines) const { return tail_file(log_path_, lines); }
  // The lines the server wrote since the last start() (the log file is shared by every start
  // of one node), at most `max_lines`, the first ones.
  std::vector<std::string> log_since_start(size_t max_lines) const;
  // The PIDs of the postmaster and its descendants, as last seen.
  std::vector<pid_t> all_pids() const;

  // Fault injection. Each returns once the change has taken effect.
  void pause();   // SIGSTOP to the postmaster, then to every descendant (as docker pause).
  void resume();  // SIGCONT to all of them.
  void crash();   // SIGKILL to the whole tree; waits until every process is gone.
  // Fast shutdown (SIGINT); escalates to crash() after `timeout_ms`.
  Status stop(int64_t timeout_ms);

 private:
  void kill_tree();
  std::string postgres_;
  std::string data_dir_;
  std::string log_path_;
  const RunAs& run_as_;
  std::vector<std::string> environment_;
  pid_t pid_ = -1;
  bool paused_ = false;
  uint64_t log_offset_ = 0;  // Size of the log file when start() was called.
  std::optional<int> exit_status_;
};

}  // namespace replsim::harness
