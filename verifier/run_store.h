// RunStore: every `replsim verify` run, kept in a RocksDB database so that `replsim runs`
// can list them and `replsim runs show ID` can print any of them again.
//
// Layout (keys are ASCII; values JSON or text):
//   meta/format          "replsim.runs/1"
//   meta/next_id         the next run number, decimal
//   summary/<id>         {"id", "time_ms", "scenario", "file", "seed", "verdict", "passed"}
//   run/<id>/scenario    the scenario file's text, as it was when the run was made
//   run/<id>/prediction  the Prediction (vocab run_result JSON), "" when the simulator failed
//   run/<id>/history     the History, "" when the harness failed
//   run/<id>/verification  the Verification JSON
// <id> is the run number zero-padded to 8 digits, so key order is run order.
//
// Crash safety: a run, its summary and the counter go in one WriteBatch, written with
// sync; RocksDB's own WAL makes the batch all-or-nothing, so a replsim killed at any point
// leaves either the whole run or none of it, and the store always reopens.
// One process at a time holds the store open for writing (RocksDB's LOCK file); open() waits
// briefly for another replsim to let go. Readers (`replsim runs`) open it read-only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "verifier/verification.h"
#include "vocab/status.h"

namespace replsim {

struct RunSummary {
  // How the run ended: a `replsim verify` run's Verification::Verdict, a `replsim check`
  // counterexample, or a run stopped by SIGINT or SIGTERM before it finished (kInterrupted: not
  // an error of replsim or PostgreSQL; the verification part holds what was done by then).
  enum class Verdict { kAgree, kDisagree, kError, kCounterexample, kIncomplete, kInterrupted };

  std::string id;
  int64_t time_ms = 0;  // Unix time in milliseconds.
  std::string scenario;
  std::string file;
  uint64_t seed = 0;
  Verdict verdict = Verdict::kError;
  bool passed = false;
};
// "agree", "disagree", "error", "counterexample", "incomplete", "interrupted": as the summary's JSON
// and `replsim runs` write it.
const char* to_string(RunSummary::Verdict verdict);
std::optional<RunSummary::Verdict> parse_run_verdict(std::string_view text);
// A verification's verdict as its run's summary records it.
RunSummary::Verdict run_verdict(Verification::Verdict verdict);

struct RunRecord {
  RunSummary summary;
  std::string scenario_text;
  std::string prediction_json;  // "" if none.
  std::string history_json;
  std::string verification_json;
};

class RunStore {
 public:
  // One per-user place, whatever the working directory: $REPLSIM_HOME/runs when REPLSIM_HOME is
  // set, else $XDG_DATA_HOME/replsim/runs, else $HOME/.local/share/replsim/runs (the XDG Base
  // Directory default); ./.replsim/runs only when none of the three is set.
  static std::string default_dir();
  // Opens the store in `dir` for writing, creating it (and its parents) when `dir` does not exist
  // or is empty. A directory that holds anything but a store (or a store whose CURRENT file is
  // gone) is refused with how to repair it; nothing in it is created, changed or deleted.
  static Result<std::unique_ptr<RunStore>> open(const std::string& dir, int64_t lock_wait_ms = 5000);
  // Opens the store in `dir` for reading only (rocksdb::DB::OpenForReadOnly): creates, repairs
  // and writes nothing (no log file either), so it works without write permission and beside a
  // writer. NotFound when `dir` holds no store yet (missing or empty); a damaged store or a
  // directory that is not one is an error naming `dir` and the repair command.
  static Result<std::unique_ptr<RunStore>> open_read_only(const std::string& dir);
  // `replsim runs repair`: rocksdb::RepairDB rebuilds the store's MANIFEST and CURRENT from the
  // tables and logs that are left (a store whose CURRENT file was lost, say). Only ever run on
  // the user's explicit request; then the store must open and carry the replsim format.
  static Status repair(const std::string& dir);
  ~RunStore();
  RunStore(const RunStore&) = delete;
  RunStore& operator=(const RunStore&) = delete;

  // Assigns the next id (ignoring record.summary.id) and writes the run atomically.
  Result<std::string> add(const RunRecord& record);
  // Every run's summary, oldest first.
  Result<std::vector<RunSummary>> list() const;
  // One run. `id` may be given without its leading zeros ("42").
  Result<RunRecord> get(const std::string& id) const;

  const std::string& dir() const { return dir_; }

 private:
  struct Db;
  RunStore(std::string dir, std::unique_ptr<Db> db);
  std::string dir_;
  std::unique_ptr<Db> db_;
};

// "000042" for 42; also the canonical form of a user-typed id (empty if not a number).
std::string canonical_run_id(const std::string& id);

}  // namespace replsim
