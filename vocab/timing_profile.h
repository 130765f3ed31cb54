// MeasuredTiming: how long each step of a scenario, WAL shipping and a commit at each
// synchronous_commit level take on a real cluster of one machine, as `replsim calibrate`
// measured them. It is vocabulary because the harness writes it and the simulator will read
// it: its virtual time per step then follows the real machine's, with its spread, instead of a
// fixed millisecond. The file format (JSON) is described in docs/timing.md; a profile measured
// on the project's machine ships as timing/default.json.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "vocab/status.h"

namespace replsim {

// Summary of one measured distribution, in microseconds of wall time.
struct LatencySummary {
  int64_t count = 0;  // Samples measured.
  int64_t min_us = 0;
  int64_t p50_us = 0;
  int64_t p90_us = 0;
  int64_t p99_us = 0;
  int64_t max_us = 0;

  bool operator==(const LatencySummary&) const = default;
};

// Nearest-rank summary of `samples_us` (any order). REQUIRES: samples_us is not empty and
// holds no negative value.
LatencySummary summarize_latencies(std::vector<int64_t> samples_us);

// Where the profile was measured.
struct MachineInfo {
  std::string cpu;         // /proc/cpuinfo's "model name".
  int64_t cores = 0;       // Hardware threads.
  std::string postgresql;  // The server's version, as `SHOW server_version` gives it.

  bool operator==(const MachineInfo&) const = default;
};

struct MeasuredTiming {
  static constexpr int64_t kFormatVersion = 1;

  std::string created;  // When it was measured: UTC, "YYYY-MM-DDTHH:MM:SSZ".
  std::string command;  // The command line that measured it.
  MachineInfo machine;
  int64_t samples = 0;  // Samples asked for per measurement (a summary may hold fewer or more).
  // Wall time of each step kind as the harness runs it, keyed by the scenario language's
  // name (to_string(StepKind)); exactly the names of calibrated_steps().
  std::map<std::string, LatencySummary> steps;
  // From a commit's acknowledgement on the primary until a standby has received its WAL,
  // on loopback through the harness's proxy with no added latency.
  LatencySummary wal_shipping;
  // Round trip of an autocommit INSERT at each synchronous_commit level, keyed by its
  // PostgreSQL name (to_string(SyncCommit)), with one synchronous standby; exactly the five.
  std::map<std::string, LatencySummary> commit;

  bool operator==(const MeasuredTiming&) const = default;
};

// The step kinds a profile times, in the order calibrate measures them. Not timed: `wait`
// (its duration is the scenario's), `cancel` (it needs a commit blocked on a standby), and
// `stall_disk` / `os_crash` (they need a cluster under the disk gate).
const std::vector<std::string>& calibrated_steps();

// The synchronous_commit levels a profile times: off, local, remote_write, on, remote_apply.
const std::vector<std::string>& calibrated_commit_levels();

// The profile as JSON text (two-space indented, keys in a fixed order, newline at the end).
std::string timing_profile_json(const MeasuredTiming& profile);

// Reads a profile from JSON text and validates it: the format name and version, every field
// present with its type, every calibrated step and commit level present and nothing else,
// and each summary ordered (0 <= min <= p50 <= p90 <= p99 <= max, count > 0). Errors are
// InvalidInput "FILE: AT: expected WHAT", AT a JSON path such as steps.insert.p50_us.
Result<MeasuredTiming> parse_timing_profile(const std::string& text, const std::string& file_name);

// Reads and validates the file at `path`. NotFound / IoError when it cannot be read.
Result<MeasuredTiming> read_timing_profile(const std::string& path);

// Writes the profile to `path` through a temporary file in the same directory renamed into
// place, so a reader sees the old file or the whole new one, never half of it.
Status write_timing_profile(const std::string& path, const MeasuredTiming& profile);

}  // namespace replsim

namespace replsim {

// Two profiles as one, measured at different times (say a quiet and a loaded machine): each
// summary's count is the sum, min and max the least and greatest (exact), and p50, p90 and p99
// the greater of the two (an upper bound, not a percentile of the union). The rest (created,
// command, machine, samples) is `newer`'s. `replsim calibrate --merge FILE` writes it.
MeasuredTiming merge_timing_profiles(const MeasuredTiming& newer, const MeasuredTiming& older);

}  // namespace replsim
