// DiskGate: the harness's side of one node's disk gate (disk_gate/disk_gate.c, preloaded into
// the node's postgres processes). It owns the node's control directory: it stalls the disk,
// lifts a stall, and after an emulated operating-system crash undoes every WAL write the
// journal holds, newest first, so the WAL is as it was at the last completed fsync. The control
// protocol and journal format are in disk_gate/disk_gate_journal.h; docs/harness.md, "Disk
// stalls and operating-system crashes", says what is emulated and what is not.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "harness/subprocess.h"
#include "vocab/status.h"

namespace replsim::harness {

// What a journal holds, or what an undo did.
struct DiskJournalSummary {
  int64_t writes = 0;                // Journal records (one per write, or per 16 KiB of a larger one).
  uint64_t bytes = 0;                // Bytes those writes wrote.
  std::vector<std::string> files;    // File names (not paths) they wrote, in write order.
  std::vector<std::string> missing;  // Undo only: files gone since (renamed or removed), skipped.

  // "3 WAL writes (24576 bytes) to 000000010000000000000003" / "no WAL write".
  std::string describe() const;
};

class DiskGate {
 public:
  // Makes `control_dir` (mode 0700, owned by `run_as`'s user) and its lock file. `library` is
  // the gate's shared object, readable by that user; `wal_dir` the absolute, symlink-free path
  // of the node's pg_wal (the gate compares it with /proc/self/fd links). `run_as` must outlive
  // the gate.
  static Result<std::unique_ptr<DiskGate>> create(const std::string& control_dir, const std::string& wal_dir,
                                                  const std::string& library, const RunAs& run_as);

  // "NAME=value" entries for the node's server: LD_PRELOAD and the gate's two variables.
  std::vector<std::string> environment() const;
  bool stalled() const;

  // Creates the stall file: from now on the node's syncs hang and its WAL writes are journaled.
  Status stall();
  // Removes the stall file and discards the journal: the held syncs complete, and the writes
  // stay (a live operating system's page cache reaches the disk in the end).
  Status lift();
  // Holds the lock (no gated process is between journaling a write and doing it) while `kill`
  // runs, which must leave no process of the node alive; then undoes the journal newest first,
  // removes it and lifts the stall. Returns what was undone.
  Result<DiskJournalSummary> crash_and_undo(const std::function<void()>& kill);
  // The journal as it is now: the writes an operating-system crash would lose.
  Result<DiskJournalSummary> journal() const;

 private:
  DiskGate(std::string control_dir, std::string wal_dir, std::string library, const RunAs& run_as);
  std::string path(const char* file) const;
  Result<int> lock(int64_t timeout_ms) const;  // The lock file's descriptor, flock()ed.
  Result<std::string> read_journal() const;
  Status remove_control_files() const;

  std::string control_dir_;
  std::string wal_dir_;
  std::string library_;
  const RunAs& run_as_;
};

}  // namespace replsim::harness
