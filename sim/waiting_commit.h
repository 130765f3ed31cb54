// Commits that are still in the procarray: a transaction whose commit record is written and
// flushed but which waits for synchronous replication (SyncRepWaitForLSN) or in XLogFlush has
// not yet run ProcArrayEndTransaction, so every other session's snapshot still sees it as in
// progress, and it still holds its locks (docs/model.md, "Commits waiting in the procarray").
//
// The primary's replay store already holds such a commit (its own backend sees it). This file
// gives other sessions' view of that store: the waiting commits' changes undone
// (snapshot_view), and the lock waits a later statement would hit on the rows and tables those
// commits changed or locked (lock_conflict). Pure functions of the store and the steps.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sim/executor.h"
#include "sim/wal/memory_store.h"
#include "sim/wal/store.h"
#include "vocab/dataset.h"
#include "vocab/scenario.h"

namespace replsim::sim {

// How long the harness waits for a statement before it gives up on it and drops its connection
// (harness::HarnessOptions::statement_timeout_ms). A statement that waits for a lock of a
// waiting commit is given up after this long: the client sees an error.
inline constexpr int64_t kClientStatementTimeoutUs = 10'000'000;
// How long the client waits for a COMMIT's reply before it records the commit as blocked and
// goes on (the harness's block_after_ms).
inline constexpr int64_t kBlockAfterUs = 300'000;

using RowId = std::pair<wal::TableId, uint64_t>;

// What one waiting commit changed and holds.
struct HeldByWaitingCommit {
  // Each changed row with its image before the change (nullopt: the commit inserted it), in
  // the order of the changes: undone in reverse, they give the store as others see it.
  std::vector<std::pair<RowId, std::optional<std::string>>> undo;
  std::set<RowId> updated;           // Rows it updated: FOR NO KEY UPDATE (heap_update).
  std::set<RowId> deleted;           // Rows it deleted: FOR UPDATE (heap_delete), conflicts with KEY SHARE.
  std::set<RowId> key_share;         // Referenced rows its foreign-key checks locked (RI_FKey_check).
  std::set<wal::TableId> tables;     // Tables it holds a lock on (RowExclusiveLock, RowShareLock).
  std::set<wal::TableId> exclusive;  // Tables locked ACCESS EXCLUSIVE (its TRUNCATE), or queued so.
};

// What `exec` (a write run on `store`, which does not hold it yet) will change and lock, with
// the before-images read from `store`.
HeldByWaitingCommit held_by(const Dataset& dataset, const wal::Store& store, const ExecutionResult& exec);

// `store` as another session sees it: the changes of `waiting` undone, newest first (the rows
// a snapshot sees while those commits are still in the procarray). Read-only; it copies no table:
// it undoes a table's changes by key when the table is first read and reads everything else
// through from `store`. `store` and the waiting commits must outlive it unchanged (every write
// while a commit waits builds one: copying the changed tables was most of its cost).
std::unique_ptr<wal::Store> snapshot_view(const wal::Store& store,
                                          const std::vector<const HeldByWaitingCommit*>& waiting);

// The lock a statement would wait for, held by waiting commit `index` (into `waiting`).
struct LockWait {
  size_t index = 0;
  std::string what;               // "row 2 of products", "table orders".
  bool before_execution = false;  // A table lock: taken before the statement drew any serial id.
};

// Whether `step`, run on the snapshot `view` (with `exec` its result there), would wait for a
// lock of one of `waiting`, in the order PostgreSQL takes them: the table lock at parse time,
// then (unless the row failed a NOT NULL or type check first) the rows it updates or deletes
// (heap_update/heap_delete → XactLockTableWait), then its foreign-key checks' FOR KEY SHARE
// locks (RI_FKey_check, ri_restrict). REQUIRES: step is a write of the data set.
std::optional<LockWait> lock_conflict(const Dataset& dataset, const wal::Store& view, const Step& step,
                                      const ExecutionResult& exec,
                                      const std::vector<const HeldByWaitingCommit*>& waiting);

// What a statement left waiting behind `held` keeps holding or queued until that commit ends:
// its table lock (queued ACCESS EXCLUSIVE for a TRUNCATE, which later statements queue behind).
void add_lingering_statement(const Dataset& dataset, const Step& step, HeldByWaitingCommit& held);

}  // namespace replsim::sim
