// Cluster members for commits that wait in the procarray (sim/waiting_commit.h): what other
// sessions of their primary see and wait for while they wait.
#include <fmt/format.h>

#include "sim/cluster.h"
#include "sim/sync_rep.h"

namespace replsim::sim {

std::vector<const HeldByWaitingCommit*> Cluster::waiting_commits_on(int n) const {
  std::vector<const HeldByWaitingCommit*> out;
  for (const Tx& tx : txs_)
    if (((tx.waiting && tx.committed) || tx.open_session) && tx.node == n && tx.held) out.push_back(tx.held.get());
  return out;
}

ExecutionResult Cluster::execute_as_seen(int p, const Step& step) {
  Node& n = *nodes_[static_cast<size_t>(p)];
  const std::vector<const HeldByWaitingCommit*> waiting = waiting_commits_on(p);
  if (waiting.empty()) return Executor(dataset_, n.store()).execute(step, n.sequences());
  const std::unique_ptr<wal::Store> view = snapshot_view(n.store(), waiting);
  const std::map<std::string, uint64_t> sequences = n.sequences();
  ExecutionResult exec = Executor(dataset_, *view).execute(step, n.sequences());
  const std::optional<LockWait> wait = lock_conflict(dataset_, *view, step, exec, waiting);
  if (!wait) return exec;
  const Tx* holder = nullptr;
  for (const Tx& tx : txs_)
    if (tx.held.get() == waiting[wait->index]) holder = &tx;
  note("{} waits for {}, held by {}, which is still {}", step.label, wait->what, holder->record.label,
       holder->open_session
           ? "open (its session has not committed)"
           : fmt::format("waiting for {}", holder->flush_wait ? "its flush" : names_on(p).to_string()));
  // The statement waits (XactLockTableWait) until the holder leaves the procarray: released by
  // its standbys (a reconnecting standby may do that within the wait), or never before the
  // client gives up, drops the connection and leaves the backend waiting with its locks.
  const int64_t deadline = world_.now_us() + kClientStatementTimeoutUs;
  if (world_.run_until_true(deadline, [holder] { return !holder->waiting && !holder->open_session; })) {
    n.sequences() = sequences;  // The statement goes on with the id it drew, if it drew one.
    note("{} goes on: {} left the procarray", step.label, holder->record.label);
    return execute_as_seen(p, step);
  }
  if (wait->before_execution) n.sequences() = sequences;  // It never got to draw an id.
  add_lingering_statement(dataset_, step, *holder->held);
  exec.ok = false;
  exec.changes.clear();
  exec.error = fmt::format(
      "no result after {} ms: waits for {}, held by {} ({})", kClientStatementTimeoutUs / 1000, wait->what,
      holder->record.label,
      holder->open_session ? "its session's transaction is open" : "committed locally, still waiting in the procarray");
  return exec;
}

std::shared_ptr<HeldByWaitingCommit> Cluster::held_if_waiting(int p, const ExecutionResult& exec) const {
  const Node& n = *nodes_[static_cast<size_t>(p)];
  const SyncCommit level = scenario_.cluster.synchronous_commit;
  const bool may_wait = commit_waits_for_standbys(level, names_on(p)) ||
                        (level != SyncCommit::kOff && n.disk_stalled());
  if (!may_wait) return nullptr;
  return std::make_shared<HeldByWaitingCommit>(held_by(dataset_, n.store(), exec));
}

std::map<std::string, int64_t> Cluster::row_counts_as_seen(int n) const {
  const Node& node = *nodes_[static_cast<size_t>(n)];
  std::map<std::string, int64_t> counts;
  const std::vector<const HeldByWaitingCommit*> waiting = waiting_commits_on(n);
  if (waiting.empty()) {
    for (const auto& t : dataset_.tables) counts[t.name] = node.row_count(t.name);
    return counts;
  }
  const std::unique_ptr<wal::Store> view = snapshot_view(node.store(), waiting);
  for (const auto& t : dataset_.tables) {
    const wal::TableId id = table_id(dataset_, t.name);
    const bool locked = std::any_of(waiting.begin(), waiting.end(),
                                    [&](const HeldByWaitingCommit* h) { return h->exclusive.count(id) > 0; });
    if (!locked) counts[t.name] = static_cast<int64_t>(view->count(id));
  }
  return counts;
}

}  // namespace replsim::sim
