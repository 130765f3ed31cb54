#include "sim/campaign/property.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>
#include <set>

#include "vocab/assert.h"
#include "vocab/dataset.h"
#include "vocab/standby_names.h"

namespace replsim::campaign {
namespace {

using Kind = Verdict::Kind;

std::optional<Presence> presence_on(const Prediction& p, const std::string& node, const std::string& label) {
  const NodeFinal* n = p.find_node(node);
  if (n == nullptr) return std::nullopt;
  auto it = n->presence.find(label);
  if (it == n->presence.end()) return std::nullopt;  // Not observable at the end.
  return it->second;
}

bool only(const TxRecord& tx, TxOutcome outcome) { return tx.outcomes.size() == 1 && tx.outcomes[0] == outcome; }
bool may_be(const TxRecord& tx, TxOutcome outcome) {
  return std::find(tx.outcomes.begin(), tx.outcomes.end(), outcome) != tx.outcomes.end();
}

const std::string& first_primary(const Scenario& s) { return s.cluster.nodes[0].name; }

Expectation expect(ExpectKind kind, const std::string& label, const std::string& node = "") {
  Expectation e;
  e.kind = kind;
  e.label = label;
  e.node = node;
  return e;
}

Verdict violated(Kind kind, std::string witness, std::vector<Expectation> expectations) {
  Verdict v;
  v.kind = kind;
  v.applicable = true;
  v.witness = std::move(witness);
  v.expectations = std::move(expectations);
  return v;
}

// The standbys that must confirm every commit before it is acknowledged, whichever are
// connected: all those listed when num_sync is at least the number of existing standbys
// the list matches (FIRST or ANY alike). Otherwise another standby may stand in for any
// one of them and none is individually required.
std::set<std::string> required_standbys(const Scenario& s) {
  const StandbyNames& names = s.standby_names();
  if (!names.enabled()) return {};
  std::set<std::string> matched;
  for (size_t i = 1; i < s.cluster.nodes.size(); ++i)
    if (names.priority_of(s.cluster.nodes[i].name) > 0) matched.insert(s.cluster.nodes[i].name);
  if (matched.empty() || names.num_sync < static_cast<int>(matched.size())) return {};
  return matched;
}

// Acknowledged commits of the first primary, made before step `before`, that are
// determinately (or, with `possible`, perhaps) absent on `node` at the end.
Verdict loss_on_promoted(const Evaluation& e, const std::string& node, int before, const char* claim) {
  const Prediction& p = e.prediction;
  Verdict possible;
  possible.applicable = true;
  for (const TxRecord& tx : p.transactions) {
    if (tx.node != first_primary(e.scenario) || tx.step >= before || !only(tx, TxOutcome::kAcknowledged)) continue;
    const auto presence = presence_on(p, node, tx.label);
    if (!presence) continue;
    const std::string witness = fmt::format(
        "{} was acknowledged by {} (commit {}) before step {} promoted {}, yet {} on {} at the end: {}", tx.label,
        tx.node, tx.commit_lsn.to_string(), before + 1, node,
        *presence == Presence::kAbsent ? "it is absent" : "it may be absent", node, claim);
    if (*presence == Presence::kAbsent) {
      return violated(Kind::kViolated, witness,
                      {expect(ExpectKind::kAcknowledged, tx.label), expect(ExpectKind::kLost, tx.label, node)});
    }
    if (*presence == Presence::kEither && possible.kind == Kind::kHolds) {
      possible = violated(Kind::kPossiblyViolated, witness, {expect(ExpectKind::kAcknowledged, tx.label)});
    }
  }
  return possible;
}

bool waits_for_flush_or_apply(const Scenario& s) {
  return s.cluster.synchronous_commit == SyncCommit::kOn || s.cluster.synchronous_commit == SyncCommit::kRemoteApply;
}

// Does some step promote a standby for which `promotes(required, name)` is true?
template <typename Pred>
bool promotes_some(const Scenario& s, Pred promotes) {
  const std::set<std::string> required = required_standbys(s);
  for (const Step& step : s.steps)
    if (step.kind == StepKind::kPromote && promotes(required, step.node)) return true;
  return false;
}

bool promotes_required_standby(const Scenario& s) {
  return waits_for_flush_or_apply(s) && promotes_some(s, [](const std::set<std::string>& required,
                                                            const std::string& n) { return required.count(n) > 0; });
}

bool promotes_unrequired_standby(const Scenario& s) {
  const bool waits = s.cluster.synchronous_commit >= SyncCommit::kRemoteWrite;
  return promotes_some(
      s, [waits](const std::set<std::string>& required, const std::string& n) { return !waits || !required.count(n); });
}

Verdict sync_promotion_loses_nothing(const Evaluation& e) {
  const Scenario& s = e.scenario;
  if (!waits_for_flush_or_apply(s)) return {};
  const std::set<std::string> required = required_standbys(s);
  Verdict result;
  for (size_t i = 0; i < s.steps.size(); ++i) {
    const Step& step = s.steps[i];
    if (step.kind != StepKind::kPromote || !required.count(step.node)) continue;
    Verdict v = loss_on_promoted(e, step.node, static_cast<int>(i),
                                 "a synchronous standby confirmed every acknowledged commit");
    if (v.kind == Kind::kViolated) return v;
    result.applicable = true;
  }
  return result;
}

Verdict async_failover_loses_nothing(const Evaluation& e) {
  const Scenario& s = e.scenario;
  const std::set<std::string> required = required_standbys(s);
  const bool waits = s.cluster.synchronous_commit >= SyncCommit::kRemoteWrite;
  Verdict result;
  for (size_t i = 0; i < s.steps.size(); ++i) {
    const Step& step = s.steps[i];
    if (step.kind != StepKind::kPromote || (waits && required.count(step.node))) continue;
    Verdict v = loss_on_promoted(e, step.node, static_cast<int>(i), "an asynchronous standby lags behind");
    if (v.kind == Kind::kViolated) return v;
    if (v.kind == Kind::kPossiblyViolated && result.kind == Kind::kHolds) result = v;
    result.applicable = true;
  }
  return result;
}

bool is_crash(const Step& step) { return step.kind == StepKind::kCrash || step.kind == StepKind::kOsCrash; }

// Commits of the first primary in commit order; a crash or stop of it ends an epoch (a
// crash with synchronous_commit = off may drop a suffix, and the next commits reuse LSNs).
bool same_epoch(const Scenario& s, int from, int to) {
  for (int i = from + 1; i < to; ++i) {
    const Step& step = s.steps[static_cast<size_t>(i)];
    if ((is_crash(step) || step.kind == StepKind::kStop) && step.node == first_primary(s)) return false;
  }
  return true;
}

Verdict standby_is_prefix(const Evaluation& e) {
  const Scenario& s = e.scenario;
  const Prediction& p = e.prediction;
  std::vector<const TxRecord*> commits;
  for (const TxRecord& tx : p.transactions)
    if (tx.node == first_primary(s) && tx.commit_lsn.value != 0 && !only(tx, TxOutcome::kFailed))
      commits.push_back(&tx);
  Verdict result;
  for (size_t n = 1; n < s.cluster.nodes.size(); ++n) {
    const std::string& node = s.cluster.nodes[n].name;
    for (size_t j = 0; j < commits.size(); ++j) {
      if (presence_on(p, node, commits[j]->label) != Presence::kPresent) continue;
      result.applicable = true;
      for (size_t i = 0; i < j; ++i) {
        const TxRecord& gap = *commits[i];
        if (gap.commit_lsn >= commits[j]->commit_lsn || !same_epoch(s, gap.step, commits[j]->step)) continue;
        if (presence_on(p, node, gap.label) != Presence::kAbsent) continue;
        return violated(
            Kind::kViolated,
            fmt::format("{} holds {} (commit {}) but not the earlier {} (commit {}) of the same primary", node,
                        commits[j]->label, commits[j]->commit_lsn.to_string(), gap.label, gap.commit_lsn.to_string()),
            {expect(ExpectKind::kPresent, commits[j]->label, node), expect(ExpectKind::kAbsent, gap.label, node)});
      }
    }
  }
  return result;
}

// Seed rows per table plus every insert that may have committed bounds what a node holds.
Verdict no_phantom_rows(const Evaluation& e) {
  const Scenario& s = e.scenario;
  const Prediction& p = e.prediction;
  Verdict result;
  result.applicable = true;
  for (const NodeFinal& node : p.nodes) {
    for (const auto& [label, presence] : node.presence) {
      const TxRecord* tx = p.find_tx(label);
      if (presence != Presence::kPresent) continue;
      if (tx == nullptr || only(*tx, TxOutcome::kFailed)) {
        return violated(Kind::kViolated,
                        fmt::format("{} is present on {} but {}", label, node.name,
                                    tx == nullptr ? "no transaction wrote it" : "its transaction failed"),
                        {expect(ExpectKind::kFailed, label), expect(ExpectKind::kAbsent, label, node.name)});
      }
    }
    const Dataset& data = s.dataset();
    for (const auto& [table, count] : node.row_counts) {
      int64_t bound = 0;
      for (const auto& rows : data.rows)
        if (rows.table == table) bound += static_cast<int64_t>(rows.rows.size());
      for (const TxRecord& tx : p.transactions) {
        const Step& step = s.steps[static_cast<size_t>(tx.step)];
        if (step.kind == StepKind::kInsert && step.table == table && !only(tx, TxOutcome::kFailed)) ++bound;
        // A session's transaction stands at its commit: its inserts are its statements.
        if (step.kind == StepKind::kCommit && !only(tx, TxOutcome::kFailed))
          for (const Step& statement : s.steps)
            if (statement.session == tx.label && statement.table == table) ++bound;
      }
      if (count > bound) {
        Expectation rows;
        rows.kind = ExpectKind::kRows;
        rows.table = table;
        rows.count = bound;
        rows.node = node.name;
        return violated(Kind::kViolated,
                        fmt::format("{} holds {} rows of {}, more than the {} the seed and every committed insert make",
                                    node.name, count, table, bound),
                        {rows});
      }
    }
  }
  return result;
}

Verdict determinism(const Evaluation& e) {
  auto again = sim::simulate(e.scenario, e.options);
  Verdict result;
  result.applicable = true;
  const std::string first = to_json(e.prediction).dump();
  const std::string second = again.ok() ? to_json(*again).dump() : again.status().message();
  if (first != second) {
    size_t at = 0;
    while (at < first.size() && at < second.size() && first[at] == second[at]) ++at;
    return violated(Kind::kViolated,
                    fmt::format("two runs with seed {} differ at byte {} of the prediction's JSON", e.options.seed, at),
                    {});
  }
  return result;
}

bool has_step(const Scenario& s, StepKind kind) {
  return std::any_of(s.steps.begin(), s.steps.end(), [kind](const Step& step) { return step.kind == kind; });
}

// Only a cancel step cancels a commit's wait (sim/cluster.cc).
bool has_cancel_step(const Scenario& s) { return has_step(s, StepKind::kCancel); }

// The property counts acknowledged commits of the first primary followed by its crash.
bool crashes_primary_under_sync_off(const Scenario& s) {
  if (s.cluster.synchronous_commit != SyncCommit::kOff) return false;
  return std::any_of(s.steps.begin(), s.steps.end(),
                     [&s](const Step& step) { return is_crash(step) && step.node == first_primary(s); });
}

// Is there an operating-system crash of `node` between steps `from` and `to`?
bool os_crashed_between(const Scenario& s, const std::string& node, int from, int to) {
  for (int i = from + 1; i < to; ++i) {
    const Step& step = s.steps[static_cast<size_t>(i)];
    if (step.kind == StepKind::kOsCrash && step.node == node) return true;
  }
  return false;
}

// The promotions the property judges: of a standby every remote_write commit waits for,
// after an operating-system crash of it.
template <typename Fn>
void for_each_os_crashed_promotion(const Scenario& s, Fn fn) {
  if (s.cluster.synchronous_commit != SyncCommit::kRemoteWrite) return;
  const std::set<std::string> required = required_standbys(s);
  for (size_t i = 0; i < s.steps.size(); ++i) {
    const Step& step = s.steps[i];
    if (step.kind == StepKind::kPromote && required.count(step.node) &&
        os_crashed_between(s, step.node, -1, static_cast<int>(i)) && fn(static_cast<int>(i), step.node))
      return;
  }
}

bool promotes_os_crashed_standby(const Scenario& s) {
  bool found = false;
  for_each_os_crashed_promotion(s, [&](int, const std::string&) { return found = true; });
  return found;
}

// A pg_wal_replay_pause() of a standby: the only way the property's profile leaves an
// acknowledged commit unreplayed at the end.
bool pauses_replay(const Scenario& s) { return has_step(s, StepKind::kPauseReplay); }

// With `on`, every standby each commit must wait for has flushed an acknowledged commit; the
// claim is that a reader there sees it (only remote_apply waits for that: 27.2.8).
Verdict sync_on_visible_on_standby(const Evaluation& e) {
  const Scenario& s = e.scenario;
  // Without a replay pause the claim is judged nowhere (may_apply: pauses_replay).
  if (s.cluster.synchronous_commit != SyncCommit::kOn || !pauses_replay(s)) return {};
  const std::set<std::string> required = required_standbys(s);
  Verdict result;
  for (const TxRecord& tx : e.prediction.transactions) {
    if (!only(tx, TxOutcome::kAcknowledged) || tx.node != first_primary(s)) continue;
    for (const std::string& standby : required) {
      const auto presence = presence_on(e.prediction, standby, tx.label);
      if (!presence) continue;
      result.applicable = true;
      if (*presence != Presence::kAbsent) continue;
      return violated(Kind::kViolated,
                      fmt::format("{} was acknowledged under synchronous_commit = on, so {} (which every commit "
                                  "waits for) had flushed it, yet a reader of {} does not see it at the end",
                                  tx.label, standby, standby),
                      {expect(ExpectKind::kAcknowledged, tx.label), expect(ExpectKind::kAbsent, tx.label, standby)});
    }
  }
  return result;
}

Verdict remote_write_survives_standby_os_crash(const Evaluation& e) {
  Verdict result;
  for_each_os_crashed_promotion(e.scenario, [&](int at, const std::string& node) {
    Verdict v = loss_on_promoted(e, node, at, "remote_write waits for the standby's write, not its flush");
    if (v.kind == Kind::kViolated) {
      result = v;
      return true;
    }
    if (v.kind == Kind::kPossiblyViolated && result.kind == Kind::kHolds) result = v;
    result.applicable = true;
    return false;
  });
  return result;
}

// A commit whose wait a signal ended (`outcome`, in every timing, for the transactions `counts`
// takes) yet is determinately present on the node it ran on: the false promise is refuted.
template <typename Counts>
Verdict signalled_commit_visible(const Evaluation& e, TxOutcome outcome, ExpectKind outcome_expectation,
                                 const char* what_happened, Counts counts) {
  Verdict result;
  for (const TxRecord& tx : e.prediction.transactions) {
    if (!may_be(tx, outcome) || !counts(tx)) continue;
    result.applicable = true;
    const auto presence = presence_on(e.prediction, tx.node, tx.label);
    if (!only(tx, outcome) || presence != Presence::kPresent) continue;
    return violated(Kind::kViolated,
                    fmt::format("{} waited for synchronous replication and {}, yet it is committed and visible on "
                                "{}, where it ran",
                                tx.label, what_happened, tx.node),
                    {expect(outcome_expectation, tx.label), expect(ExpectKind::kPresent, tx.label, tx.node)});
  }
  return result;
}

Verdict cancelled_sync_commit_invisible(const Evaluation& e) {
  return signalled_commit_visible(e, TxOutcome::kCancelled, ExpectKind::kCancelled, "was cancelled",
                                  [](const TxRecord&) { return true; });
}

// A transaction whose waiting COMMIT a terminate step named.
bool terminated(const Scenario& s, const std::string& label) {
  return std::any_of(s.steps.begin(), s.steps.end(),
                     [&](const Step& step) { return step.kind == StepKind::kTerminate && step.label == label; });
}

bool has_terminate_step(const Scenario& s) { return has_step(s, StepKind::kTerminate); }

// The client of a terminated wait sees only a lost connection; the commit happened regardless.
Verdict terminated_sync_commit_rolled_back(const Evaluation& e) {
  return signalled_commit_visible(e, TxOutcome::kInDoubt, ExpectKind::kInDoubt, "its backend was terminated",
                                  [&e](const TxRecord& tx) { return terminated(e.scenario, tx.label); });
}

Verdict sync_off_crash_loses_nothing(const Evaluation& e) {
  const Scenario& s = e.scenario;
  if (s.cluster.synchronous_commit != SyncCommit::kOff) return {};
  Verdict result;
  for (const TxRecord& tx : e.prediction.transactions) {
    if (!only(tx, TxOutcome::kAcknowledged) || tx.node != first_primary(s)) continue;
    bool crashed = false;
    for (size_t i = static_cast<size_t>(tx.step) + 1; i < s.steps.size(); ++i)
      crashed |= is_crash(s.steps[i]) && s.steps[i].node == tx.node;
    if (!crashed) continue;
    result.applicable = true;
    const auto presence = presence_on(e.prediction, tx.node, tx.label);
    if (presence != Presence::kAbsent && presence != Presence::kEither) continue;
    const bool certain = presence == Presence::kAbsent;
    Verdict v = violated(certain ? Kind::kViolated : Kind::kPossiblyViolated,
                         fmt::format("{} was acknowledged under synchronous_commit = off; {} crashed before its WAL "
                                     "was flushed, and after the restart it {} absent",
                                     tx.label, tx.node, certain ? "is" : "may be"),
                         {expect(ExpectKind::kAcknowledged, tx.label)});
    if (certain) {
      v.expectations.push_back(expect(ExpectKind::kLost, tx.label, tx.node));
      return v;
    }
    if (result.kind == Kind::kHolds) result = v;
  }
  return result;
}

// --- pitr-exact-prefix.
//
// Judged from the scenario's steps and the prediction's observables only: which transactions
// committed (and at which step), the first primary's insert and flush positions after each step
// (pg_current_wal_insert_lsn / _flush_lsn), and what each restored node holds or which error it
// ended in. Under the profile's settings (the first primary is the only primary, commits wait
// for its local flush only, every write completes within its step) commit order is step order.

// The first primary's positions right after step `step`; null when the timeline has none.
const NodePosition* primary_after(const Evaluation& e, int step) {
  for (const TimelineEntry& entry : e.prediction.timeline) {
    if (entry.step != step) continue;
    for (const NodePosition& pos : entry.positions)
      if (pos.node == first_primary(e.scenario)) return &pos;
  }
  return nullptr;
}

// Is the segment holding `lsn` (the first primary's, timeline 1) complete before step `before`:
// did its flush position reach the segment's end at some earlier step? A running primary's
// archiver takes every completed segment (a switch, a base backup's switch, the switch of a
// clean shutdown, or a full segment); a crash leaves the last, partial one behind.
bool segment_completed(const Evaluation& e, Lsn lsn, int before) {
  const uint64_t size = e.scenario.cluster.wal_segment_size;
  const uint64_t end = (lsn.value / size + 1) * size;
  for (int step = 0; step < before; ++step)
    if (const NodePosition* pos = primary_after(e, step); pos != nullptr && pos->flush_lsn.value >= end) return true;
  return false;
}

// Is the first primary running when step `at` begins (only crash, stop and start change that
// under the profile)? A failed write on a running primary may leave an abort record.
bool primary_running_before(const Scenario& s, int at) {
  bool running = true;
  for (int i = 0; i < at; ++i) {
    const Step& step = s.steps[static_cast<size_t>(i)];
    if (step.node != first_primary(s)) continue;
    if (step.kind == StepKind::kCrash || step.kind == StepKind::kStop) running = false;
    if (step.kind == StepKind::kStart) running = true;
  }
  return running;
}

bool restores_from_backup_to_target(const Scenario& s, const Step& step) {
  return step.kind == StepKind::kRestore && step.target.kind != RecoveryTarget::Kind::kNone &&
         !s.restores_naive_copy(step);
}

// Insert, update, delete and truncate: the steps that are a transaction. Every kind is named, so
// that a new one is a compile error here rather than a silent "no".
bool runs_transaction(StepKind kind) {
  switch (kind) {
    case StepKind::kInsert:
    case StepKind::kUpdate:
    case StepKind::kDelete:
    case StepKind::kTruncate:
    case StepKind::kBegin:  // A session's transaction runs on its begin's node.
    case StepKind::kCommit:
    case StepKind::kRollback: return true;
    case StepKind::kMark:
    case StepKind::kCatchup:
    case StepKind::kWait:
    case StepKind::kCheckLag:
    case StepKind::kCancel:
    case StepKind::kTerminate:
    case StepKind::kReload:
    case StepKind::kPause:
    case StepKind::kResume:
    case StepKind::kPartition:
    case StepKind::kHeal:
    case StepKind::kCrash:
    case StepKind::kStop:
    case StepKind::kStart:
    case StepKind::kWipe:
    case StepKind::kPromote:
    case StepKind::kBaseBackup:
    case StepKind::kSwitchWal:
    case StepKind::kRestorePoint:
    case StepKind::kRestore:
    case StepKind::kCheckpoint:
    case StepKind::kNaiveCopy:
    case StepKind::kBreakArchive:
    case StepKind::kRepairArchive:
    case StepKind::kStallDisk:
    case StepKind::kOsCrash:
    case StepKind::kPauseReplay:
    case StepKind::kResumeReplay: return false;
  }
  REPLSIM_ASSERT(false, "a step whose kind is no StepKind");
  return false;
}

// The scenario's shape the property judges exactly: archive_mode, no promotion (one timeline),
// an archive that never breaks, commits that wait for the local flush at most, base backups
// of the first primary, and a restore from one of them to a target.
bool judges_pitr(const Scenario& s) {
  if (!s.cluster.archive_mode || s.cluster.synchronous_commit == SyncCommit::kOff) return false;
  bool restores = false;
  for (const Step& step : s.steps) {
    if (step.kind == StepKind::kPromote || step.kind == StepKind::kBreakArchive || step.kind == StepKind::kNaiveCopy)
      return false;
    if (step.kind == StepKind::kBaseBackup && !step.node.empty() && step.node != first_primary(s)) return false;
    if (!step.node.empty() && runs_transaction(step.kind) && step.node != first_primary(s)) return false;
    restores |= restores_from_backup_to_target(s, step);
  }
  if (!restores) return false;
  return s.cluster.synchronous_commit == SyncCommit::kLocal || !s.standby_names().enabled();
}

// Step indices of what recovery targets name.
int step_of(const Scenario& s, StepKind kind, const std::string& name) {
  for (size_t i = 0; i < s.steps.size(); ++i) {
    const Step& step = s.steps[i];
    if (step.kind != kind) continue;
    if (step.name == name) return static_cast<int>(i);
  }
  return -1;
}

Expectation expect_error(const std::string& node, const std::string& error) {
  Expectation x;
  x.kind = ExpectKind::kError;
  x.node = node;
  x.error = error;
  return x;
}

// A transaction whose commit record the first primary wrote and acknowledged.
bool committed(const TxRecord& tx) { return tx.outcomes[0] == TxOutcome::kAcknowledged && tx.commit_lsn.value != 0; }

// The first primary's transactions before step `r`, in step (= commit) order; nullopt when
// timing decides one's outcome: then there is no exact prefix to compare.
std::optional<std::vector<const TxRecord*>> transactions_before(const Evaluation& e, int r) {
  std::vector<const TxRecord*> txs;
  for (const TxRecord& tx : e.prediction.transactions) {
    if (tx.node != first_primary(e.scenario) || tx.step >= r) continue;
    if (tx.outcomes.size() != 1) return std::nullopt;
    txs.push_back(&tx);
  }
  std::sort(txs.begin(), txs.end(), [](const TxRecord* a, const TxRecord* b) { return a->step < b->step; });
  return txs;
}

// What a restore's target keeps, and which record tells recovery it reached the target.
struct TargetRule {
  int cut = -1;                // Transactions of earlier steps are kept.
  bool keeps_target = false;   // So is the target's own transaction (an inclusive xid target).
  std::optional<Lsn> decides;  // A byte of that record; nullopt: none was written before the restore.
  std::string text;            // The target, as a witness names it.
};

TargetRule immediate_rule(int backup) {
  // Consistent at the backup's end, whose segment the backup itself switches out.
  return TargetRule{backup, false, std::nullopt, "immediate"};
}

std::optional<TargetRule> xid_rule(const Evaluation& e, const RecoveryTarget& t) {
  const TxRecord* tx = e.prediction.find_tx(t.ref);
  if (tx == nullptr || tx->outcomes.size() != 1 || !committed(*tx)) return std::nullopt;
  return TargetRule{tx->step, t.inclusive, Lsn{tx->commit_lsn.value - 1},  // Its commit record.
                    fmt::format("xid {} ({})", t.ref, t.inclusive ? "inclusive" : "exclusive")};
}

// Only commit and abort records carry a time: the first one after the mark decides.
std::optional<TargetRule> time_rule(const Evaluation& e, const RecoveryTarget& t,
                                    const std::vector<const TxRecord*>& txs) {
  TargetRule rule{step_of(e.scenario, StepKind::kMark, t.ref), false, std::nullopt,
                  fmt::format("time of mark {}", t.ref)};
  for (const TxRecord* tx : txs) {
    if (tx->step <= rule.cut) continue;
    if (committed(*tx)) {
      rule.decides = Lsn{tx->commit_lsn.value - 1};
      break;
    }
    if (primary_running_before(e.scenario, tx->step)) return std::nullopt;  // An abort record may decide.
  }
  return rule;
}

std::optional<TargetRule> name_rule(const Evaluation& e, const RecoveryTarget& t) {
  const int cut = step_of(e.scenario, StepKind::kRestorePoint, t.ref);
  const NodePosition* pos = primary_after(e, cut);
  if (pos == nullptr) return std::nullopt;
  return TargetRule{cut, false, Lsn{pos->insert_lsn.value - 1},  // The restore point's record ends there.
                    fmt::format("restore point {}", t.ref)};
}

// A mark's position (a transaction's label is not judged: the generators name marks). The
// record that decides is the first starting at or after it; every transaction writes its rows
// before its commit record, so that record is never a commit and `inclusive` keeps no transaction.
std::optional<TargetRule> lsn_rule(const Evaluation& e, const RecoveryTarget& t, int r) {
  TargetRule rule{step_of(e.scenario, StepKind::kMark, t.ref), false, std::nullopt,
                  fmt::format("lsn of mark {}", t.ref)};
  if (rule.cut < 0) return std::nullopt;
  const NodePosition* mark = primary_after(e, rule.cut);
  if (mark == nullptr) return std::nullopt;
  const Lsn at = mark->insert_lsn;
  for (int step = rule.cut + 1; step < r; ++step)
    if (const NodePosition* pos = primary_after(e, step); pos != nullptr && pos->insert_lsn > at) {
      rule.decides = at;
      break;
    }
  return rule;
}

// The rule of restore step `r` from the base backup of step `backup`; nullopt when it cannot
// be stated exactly.
std::optional<TargetRule> target_rule(const Evaluation& e, int r, int backup, const std::vector<const TxRecord*>& txs) {
  const RecoveryTarget& t = e.scenario.steps[static_cast<size_t>(r)].target;
  using TargetKind = RecoveryTarget::Kind;
  switch (t.kind) {
    case TargetKind::kImmediate: return immediate_rule(backup);
    case TargetKind::kXid: return xid_rule(e, t);
    case TargetKind::kTime: return time_rule(e, t, txs);
    case TargetKind::kName: return name_rule(e, t);
    case TargetKind::kLsn: return lsn_rule(e, t, r);
    case TargetKind::kNone: return std::nullopt;
  }
  return std::nullopt;
}

// One restore being judged: its step, its node's final state, its target's rule, and the
// transactions of the first primary before it.
struct RestoreCase {
  int r;
  const Step& restore;
  const NodeFinal& node;
  const TargetRule& rule;
  const std::vector<const TxRecord*>& txs;
  std::string what;  // "restore of x1 from b1 to xid t3 (inclusive)".

  bool kept(const TxRecord& tx) const {
    return tx.step < rule.cut || (rule.keeps_target && tx.label == restore.target.ref);
  }
};

// The deciding record never reached the archive: recovery must stop short of the target.
Verdict judge_unreached(const RestoreCase& c) {
  Verdict v;
  v.applicable = true;
  if (c.node.error == "recovery_target_not_reached") return v;
  const std::string why = c.rule.decides
                              ? fmt::format(
                                    "the record at {} that decides it lies in a segment never archived before step {}",
                                    c.rule.decides->to_string(), c.r + 1)
                              : fmt::format("no record after the target was written before step {}", c.r + 1);
  return violated(Kind::kViolated,
                  fmt::format("{}: {}, yet it ended {}", c.what, why,
                              c.node.error.empty() ? std::string("without an error") : "in " + c.node.error),
                  {expect_error(c.restore.node, "recovery_target_not_reached")});
}

// The target was reached, yet recovery ended in an error: the first transaction it should
// have kept is the expectation the file states.
Verdict judge_recovery_error(const RestoreCase& c) {
  std::vector<Expectation> expectations;
  for (const TxRecord* tx : c.txs)
    if (committed(*tx) && c.kept(*tx)) {
      expectations.push_back(expect(ExpectKind::kPresent, tx->label, c.restore.node));
      break;
    }
  return violated(Kind::kViolated,
                  fmt::format("{}: the WAL up to the target was archived (segment of {} complete before step {}), yet "
                              "{} ended in {}",
                              c.what, c.rule.decides ? c.rule.decides->to_string() : std::string("the backup's end"),
                              c.r + 1, c.restore.node, c.node.error),
                  std::move(expectations));
}

// The target was reached: every committed transaction is present exactly when it is kept.
std::optional<Verdict> judge_restored_rows(const Evaluation& e, const RestoreCase& c) {
  Verdict possible;
  possible.applicable = true;
  for (const TxRecord* tx : c.txs) {
    if (!committed(*tx)) continue;
    const bool kept = c.kept(*tx);
    const auto presence = presence_on(e.prediction, c.restore.node, tx->label);
    if (!presence) return std::nullopt;
    if (*presence == (kept ? Presence::kPresent : Presence::kAbsent)) continue;
    const std::string witness = fmt::format("{}: {} committed on {} at step {} ({} the target), yet it {} {} on {}",
                                            c.what, tx->label, tx->node, tx->step + 1, kept ? "before" : "not before",
                                            *presence == Presence::kEither ? "may be" : "is",
                                            kept ? "absent" : "present", c.restore.node);
    if (*presence != Presence::kEither)
      return violated(Kind::kViolated, witness,
                      {expect(kept ? ExpectKind::kPresent : ExpectKind::kAbsent, tx->label, c.restore.node)});
    if (possible.kind == Kind::kHolds) possible = violated(Kind::kPossiblyViolated, witness, {});
  }
  return possible;
}

// One restore (step `r`): nullopt when it cannot be judged exactly (a transaction before it
// with an undetermined outcome, a node not observable), else its verdict.
std::optional<Verdict> judge_restore(const Evaluation& e, int r) {
  const Step& restore = e.scenario.steps[static_cast<size_t>(r)];
  const NodeFinal* node = e.prediction.find_node(restore.node);
  const int backup = step_of(e.scenario, StepKind::kBaseBackup, restore.backup);
  if (node == nullptr || backup < 0) return std::nullopt;
  const auto txs = transactions_before(e, r);
  if (!txs) return std::nullopt;
  const auto rule = target_rule(e, r, backup, *txs);
  if (!rule || rule->cut < 0) return std::nullopt;
  const RestoreCase c{r,     restore,
                      *node, *rule,
                      *txs,  fmt::format("restore of {} from {} to {}", restore.node, restore.backup, rule->text)};
  const bool reached = restore.target.kind == RecoveryTarget::Kind::kImmediate ||
                       (rule->decides && segment_completed(e, *rule->decides, r));
  if (!reached) return judge_unreached(c);
  if (!node->error.empty()) return judge_recovery_error(c);
  return judge_restored_rows(e, c);
}

bool may_judge_pitr(const Scenario& s) { return judges_pitr(s); }

Verdict pitr_exact_prefix(const Evaluation& e) {
  const Scenario& s = e.scenario;
  Verdict result;
  if (!judges_pitr(s)) return result;
  for (size_t i = 0; i < s.steps.size(); ++i) {
    if (!restores_from_backup_to_target(s, s.steps[i])) continue;
    const auto v = judge_restore(e, static_cast<int>(i));
    if (!v) continue;
    if (v->kind == Verdict::Kind::kViolated) return *v;
    if (v->kind == Verdict::Kind::kPossiblyViolated && result.kind == Verdict::Kind::kHolds) result = *v;
    result.applicable = true;
  }
  return result;
}

Profile profile(std::string name, std::vector<SyncCommit> levels, NamesShape names, std::array<int, kIntentCount> w) {
  return Profile{std::move(name), std::move(levels), names, w};
}

// Replay control's false promise (issue 17): its profile draws writes and replay pauses only,
// since nothing but a pause can keep a flushed commit unreplayed.
Property sync_on_visible_on_standby_property() {
  //                     ins upd del cat wait ... terminate pause_replay resume_replay
  const std::array<int, kIntentCount> replay_pausing{
      {30, 4, 0, 6, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 6}};
  return {"sync-on-visible-on-standby",
          PropertyKind::kFalsePromise,
          "With synchronous_commit = on, a commit acknowledged by the standby every commit waits for is visible to "
          "readers of that standby.",
          profile("sync-on-replay", {SyncCommit::kOn}, NamesShape::kRequired, replay_pausing),
          "",
          sync_on_visible_on_standby,
          pauses_replay,
          sim::Recording::kOutcomes};
}

// The time that certainly passed between the end of step `from` and the start of step `to`:
// the `wait` steps between them (every other step takes some time too, so this is a floor).
int64_t waited_between_us(const Scenario& s, int from, int to) {
  int64_t us = 0;
  for (int i = from + 1; i < to; ++i)
    if (s.steps[static_cast<size_t>(i)].kind == StepKind::kWait)
      us += s.steps[static_cast<size_t>(i)].duration_ms * 1000;
  return us;
}

int64_t apply_delay_of(const Scenario& s, const std::string& node) {
  const NodeSpec* spec = s.cluster.find_node(node);
  return spec == nullptr ? 0 : spec->apply_delay_us;
}

bool promotes_delayed_standby(const Scenario& s) {
  return std::any_of(s.steps.begin(), s.steps.end(), [&s](const Step& step) {
    return step.kind == StepKind::kPromote && apply_delay_of(s, step.node) > 0;
  });
}

// A commit of the first primary acknowledged at once (no wait for a standby) whose step ended at
// least the promoted standby's apply delay before the promotion, yet determinately absent on it.
Verdict delayed_standby_loses_nothing_old(const Evaluation& e) {
  const Scenario& s = e.scenario;
  Verdict result;
  for (size_t i = 0; i < s.steps.size(); ++i) {
    const Step& step = s.steps[i];
    const int64_t delay = step.kind == StepKind::kPromote ? apply_delay_of(s, step.node) : 0;
    if (delay == 0) continue;
    for (const TxRecord& tx : e.prediction.transactions) {
      if (tx.node != first_primary(s) || tx.step >= static_cast<int>(i) || !only(tx, TxOutcome::kAcknowledged) ||
          tx.waited_for_sync || waited_between_us(s, tx.step, static_cast<int>(i)) < delay)
        continue;
      const auto presence = presence_on(e.prediction, step.node, tx.label);
      if (!presence) continue;
      result.applicable = true;
      if (*presence != Presence::kAbsent) continue;
      return violated(Kind::kViolated,
                      fmt::format("{} was acknowledged by {} more than {}'s apply delay ({} ms) before step {} "
                                  "promoted it, yet it is absent on {} at the end: the delay holds back replay, not "
                                  "what a standby never received",
                                  tx.label, tx.node, step.node, delay / 1000, i + 1, step.node),
                      {expect(ExpectKind::kAcknowledged, tx.label), expect(ExpectKind::kLost, tx.label, step.node)});
    }
  }
  return result;
}

// Issue 17's false promise for delayed standbys: an asynchronous cluster with a standby delayed
// by 100 or 300 ms, failovers, partitions and waits longer than the delay.
Property delayed_standby_property() {
  //                     ins upd del cat wait part heal pause res crash start stop prom cancel
  const std::array<int, kIntentCount> delaying{{24, 2, 2, 4, 14, 10, 4, 0, 0, 10, 3, 1, 14}};
  Profile delayed = profile("delayed", {SyncCommit::kOn, SyncCommit::kLocal}, NamesShape::kAsync, delaying);
  delayed.apply_delays_ms = {100, 300};
  return {"delayed-standby-loses-nothing-old",
          PropertyKind::kFalsePromise,
          "A delayed standby (recovery_min_apply_delay) loses nothing the primary acknowledged before the delay: "
          "promoting it loses no commit acknowledged at least its delay before the promotion.",
          delayed,
          "",
          delayed_standby_loses_nothing_old,
          promotes_delayed_standby,
          sim::Recording::kOutcomes};
}

std::vector<Property> make_properties() {
  const auto all_levels = general_profile().levels;
  //                     ins upd del cat wait part heal pause res crash start stop prom cancel
  const std::array<int, kIntentCount> failover{{22, 3, 2, 6, 4, 12, 6, 4, 3, 9, 4, 1, 12, 3}};
  // The same with disk stalls and OS crashes: on and remote_apply wait for the standby's flush,
  // so its OS crash loses nothing they acknowledged (the contrast with remote_write).
  const std::array<int, kIntentCount> failover_disks{
      {22, 3, 2, 6, 4, 12, 6, 4, 3, 9, 10, 1, 12, 3, 0, 0, 0, 0, 0, 12, 12, 0, 0, 6, 6}};
  const std::array<int, kIntentCount> cancelling{{20, 3, 2, 5, 3, 14, 5, 5, 3, 5, 3, 1, 4, 14}};
  //                     ins upd del cat wait part heal pause res crash start stop prom cancel
  //                     backup switch mark restore_point restore stall_disk os_crash
  const std::array<int, kIntentCount> crashing{{24, 4, 3, 4, 3, 6, 4, 4, 3, 16, 12, 2, 4, 0, 0, 0, 0, 0, 0, 10, 8}};
  // The refutation needs, in order: a stall of a synchronous standby, a commit, a partition of it
  // (or a crash of the primary), its OS crash, its restart and its promotion.
  const std::array<int, kIntentCount> os_crashing{{20, 0, 0, 0, 0, 8, 0, 0, 0, 0, 28, 0, 24, 0, 0, 0, 0, 0, 0, 10, 24}};
  // Checks that read only transactions and node finals: campaign runs simulate them recording
  // no more (same verdicts; sim_shortcuts_test compares them). `determinism` compares whole
  // predictions and `pitr-exact-prefix` reads the timeline's positions: they keep the default.
  constexpr sim::Recording kOutcomes = sim::Recording::kOutcomes;
  std::vector<Property> p;
  p.push_back(
      {"sync-promotion-loses-nothing", PropertyKind::kGuarantee,
       "Promoting a standby that every commit must wait for (FIRST or ANY naming it, num_sync covering all "
       "listed standbys) under synchronous_commit = on or remote_apply loses no acknowledged commit.",
       profile("sync-required", {SyncCommit::kOn, SyncCommit::kRemoteApply}, NamesShape::kRequired, failover_disks), "",
       sync_promotion_loses_nothing, promotes_required_standby, kOutcomes});
  p.push_back({"standby-is-prefix", PropertyKind::kGuarantee,
               "Every standby holds a prefix of its primary's commits in commit order: never a later commit without "
               "an earlier one of the same primary.",
               general_disk_profile(), "", standby_is_prefix, nullptr, kOutcomes});
  p.push_back({"no-phantom-rows", PropertyKind::kGuarantee,
               "No node holds a transaction that failed or that no step wrote, nor more rows than the seed data and "
               "the inserts that may have committed.",
               general_disk_profile(), "", no_phantom_rows, nullptr, kOutcomes});
  p.push_back({"determinism", PropertyKind::kGuarantee, "The same scenario and seed give a byte-identical prediction.",
               general_disk_profile(), "", determinism});
  //                     ins upd del cat wait part heal pause res crash start stop prom cancel
  //                     backup switch mark restore_point restore
  const std::array<int, kIntentCount> recovering{{20, 6, 0, 3, 3, 2, 2, 0, 0, 3, 3, 3, 0, 0, 7, 8, 6, 4, 14}};
  Profile pitr = profile("pitr", {SyncCommit::kOn, SyncCommit::kLocal}, NamesShape::kAsync, recovering);
  pitr.archive_mode = true;
  p.push_back({"pitr-exact-prefix", PropertyKind::kGuarantee,
               "Point-in-time recovery from a base backup to a target (xid, time, name, lsn, immediate) restores "
               "exactly the transactions the backup's primary committed before the target, or, when the record that "
               "decides the target lies in a segment never archived, stops with recovery_target_not_reached.",
               pitr, "", pitr_exact_prefix, may_judge_pitr});
  p.push_back({"async-failover-loses-nothing", PropertyKind::kFalsePromise,
               "Promoting an asynchronous standby after a failure of the primary loses no acknowledged commit.",
               profile("async", all_levels, NamesShape::kAsync, failover), "", async_failover_loses_nothing,
               promotes_unrequired_standby, kOutcomes});
  p.push_back({"cancelled-sync-commit-invisible", PropertyKind::kFalsePromise,
               "A commit whose wait for synchronous replication was cancelled is not visible.",
               profile("sync-cancel", {SyncCommit::kOn, SyncCommit::kRemoteApply, SyncCommit::kRemoteWrite},
                       NamesShape::kEnabled, cancelling),
               "", cancelled_sync_commit_invisible, has_cancel_step, kOutcomes});
  std::array<int, kIntentCount> terminating = cancelling;
  terminating[static_cast<size_t>(Intent::kCancel)] = 0;
  terminating[static_cast<size_t>(Intent::kTerminate)] = 14;
  p.push_back({"terminated-sync-commit-rolled-back", PropertyKind::kFalsePromise,
               "A commit whose backend was terminated (pg_terminate_backend) while it waited for synchronous "
               "replication was rolled back.",
               profile("sync-terminate", {SyncCommit::kOn, SyncCommit::kRemoteApply, SyncCommit::kRemoteWrite},
                       NamesShape::kEnabled, terminating),
               "", terminated_sync_commit_rolled_back, has_terminate_step, kOutcomes});
  p.push_back({"sync-off-crash-loses-nothing", PropertyKind::kFalsePromise,
               "With synchronous_commit = off, an acknowledged commit survives a crash of the server.",
               profile("sync-off", {SyncCommit::kOff}, NamesShape::kAny, crashing), "", sync_off_crash_loses_nothing,
               crashes_primary_under_sync_off, kOutcomes});
  p.push_back({"remote-write-survives-standby-os-crash", PropertyKind::kFalsePromise,
               "With synchronous_commit = remote_write, an acknowledged commit survives an operating-system crash of "
               "the synchronous standby followed by its promotion.",
               profile("remote-write", {SyncCommit::kRemoteWrite}, NamesShape::kRequired, os_crashing), "",
               remote_write_survives_standby_os_crash, promotes_os_crashed_standby, kOutcomes});
  p.push_back(sync_on_visible_on_standby_property());
  p.push_back(delayed_standby_property());
  return p;
}

}  // namespace

const char* to_string(PropertyKind kind) { return kind == PropertyKind::kGuarantee ? "guarantee" : "false-promise"; }

bool Property::counts(const Verdict& v) const { return v.kind == Verdict::Kind::kViolated; }

const std::vector<Property>& all_properties() {
  static const std::vector<Property> properties = make_properties();
  return properties;
}

const Property* find_property(const std::string& name) {
  for (const Property& p : all_properties())
    if (p.name == name) return &p;
  return nullptr;
}

}  // namespace replsim::campaign
