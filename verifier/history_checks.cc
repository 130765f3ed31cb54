#include "verifier/history_checks.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>
#include <set>

#include "vocab/scenario_walk.h"
#include "vocab/standby_names.h"

namespace replsim {
namespace {

bool certainly(const TxRecord& t, TxOutcome outcome) {
  return !t.outcomes.empty() &&
         std::all_of(t.outcomes.begin(), t.outcomes.end(), [&](TxOutcome o) { return o == outcome; });
}

// Its commit record is certainly in the writer's WAL: acknowledged, or committed locally and
// then waiting (blocked) or cancelled while waiting. In doubt and failed are not.
bool certainly_committed(const TxRecord& t) {
  return !t.outcomes.empty() && std::all_of(t.outcomes.begin(), t.outcomes.end(), [](TxOutcome o) {
    return o == TxOutcome::kAcknowledged || o == TxOutcome::kBlocked || o == TxOutcome::kCancelled;
  });
}

bool may_be(const TxRecord& t, TxOutcome outcome) {
  return std::find(t.outcomes.begin(), t.outcomes.end(), outcome) != t.outcomes.end();
}

// Only what was observed is evidence: present or absent, never "either" or a missing entry.
std::optional<Presence> observed(const RunResult& run, const std::string& node, const std::string& label) {
  const NodeFinal* n = run.find_node(node);
  if (n == nullptr) return std::nullopt;
  auto it = n->presence.find(label);
  if (it == n->presence.end() || it->second == Presence::kEither) return std::nullopt;
  return it->second;
}

bool blocked_at_some_point(const RunResult& run, const std::string& label) {
  return std::any_of(run.events.begin(), run.events.end(),
                     [&](const HistoryEvent& e) { return e.label == label && e.type == HistoryEvent::Type::kBlocked; });
}

// Where and when a transaction ran, from the scenario (authoritative) and the run.
struct Placed {
  const TxRecord* tx = nullptr;
  int step = -1;
  std::string writer;
};

std::vector<Placed> place(const ScenarioWalk& walk, const RunResult& run) {
  std::vector<Placed> out;
  for (const auto& t : run.transactions) {
    Placed p{&t, walk.step_of_label(t.label), t.node};
    if (p.step < 0) p.step = t.step;
    if (p.step < 0 || p.step >= walk.step_count()) continue;
    if (p.writer.empty()) p.writer = walk.current_primary(p.step);
    out.push_back(p);
  }
  std::stable_sort(out.begin(), out.end(), [](const Placed& a, const Placed& b) {
    return a.step != b.step ? a.step < b.step : a.tx->commit_lsn < b.tx->commit_lsn;
  });
  return out;
}

int generation(const NodeStates& nodes, const std::string& name) {
  auto it = nodes.find(name);
  return it == nodes.end() ? -1 : it->second.generation;
}

// True when `standby` certainly acknowledged a commit that `writer` made during `step` and
// that was acknowledged within that step. PostgreSQL (27.2.8): with FIRST n the n
// highest-priority connected standbys acknowledge; with ANY n, any n of the listed ones.
// The steps bound the connected set from below (certain: streaming and caught up since the
// last heal or restart) and above (possible: reachable at all); ties in priority (`*`, ANY)
// count against the standby.
bool certainly_acknowledged_by(const StandbyNames& names, const NodeStates& nodes, const std::string& writer,
                               const std::string& standby) {
  std::set<std::string> possible, certain;
  for (const auto& [name, n] : nodes) {
    if (n.upstream != writer || names.priority_of(name) == 0 || !n.may_stream()) continue;
    possible.insert(name);
    if (n.streams()) certain.insert(name);
  }
  if (!possible.count(standby)) return false;
  const bool quorum = names.method == StandbyNames::Method::kQuorum;
  const int priority = names.priority_of(standby);
  int rank = 1;
  for (const auto& other : possible)
    if (other != standby && (quorum || names.priority_of(other) <= priority)) ++rank;
  const int n = names.num_sync;
  return rank <= n && (certain.count(standby) > 0 || static_cast<int>(possible.size()) <= n);
}

Finding make_finding(const char* check, const std::string& node, std::vector<const TxRecord*> txs,
                     std::string explanation) {
  Finding f;
  f.check = check;
  f.node = node;
  for (const TxRecord* t : txs) {
    f.labels.push_back(t->label);
    f.lsns.push_back(t->commit_lsn);
  }
  f.explanation = std::move(explanation);
  return f;
}

std::string commit_at(const TxRecord& t) {
  return t.commit_lsn.value == 0 ? std::string() : " (commit LSN " + t.commit_lsn.to_string() + ")";
}

}  // namespace

const std::vector<std::string>& history_check_names() {
  static const std::vector<std::string> names = {kAcknowledgedCommitLost, kPhantomWrite, kStandbyNotPrefix,
                                                 kPitrNotExactPrefix};
  return names;
}

namespace {
// A process crash or an operating-system crash of `node` between the two steps: either loses
// what the node had not flushed (an OS crash also what it had only written).
bool any_crash(const ScenarioWalk& walk, const std::string& node, int from, int to) {
  return walk.any_step(StepKind::kCrash, node, from, to) || walk.any_step(StepKind::kOsCrash, node, from, to);
}
}  // namespace

// synchronous_standby_names on `writer` when step `at` ran: the cluster's setting, or the value
// of the last reload of that node before the step.
std::string standby_names_at(const Scenario& scenario, const std::string& writer, int at) {
  std::string text = scenario.cluster.synchronous_standby_names;
  for (int i = 0; i < at && i < static_cast<int>(scenario.steps.size()); ++i) {
    const Step& step = scenario.steps[static_cast<size_t>(i)];
    if (step.kind == StepKind::kReload && step.node == writer && step.synchronous_standby_names)
      text = *step.synchronous_standby_names;
  }
  return text;
}

std::vector<Finding> check_acknowledged_commit_lost(const Scenario& scenario, const RunResult& run) {
  std::vector<Finding> findings;
  const ScenarioWalk walk(scenario);
  const SyncCommit level = scenario.cluster.synchronous_commit;
  const int end = walk.step_count();
  for (const Placed& p : place(walk, run)) {
    const TxRecord& t = *p.tx;
    if (!certainly(t, TxOutcome::kAcknowledged)) continue;
    const std::string names_text = standby_names_at(scenario, p.writer, p.step);
    std::optional<StandbyNames> reloaded;
    if (names_text != scenario.cluster.synchronous_standby_names) {
      auto parsed = parse_standby_names(names_text);
      if (!parsed.ok()) continue;  // The parser refuses such a reload; a scenario built in code may not.
      reloaded = std::move(parsed).value();
    }
    const StandbyNames& names = reloaded ? *reloaded : scenario.standby_names();
    const bool sync_rep = names.enabled() && level >= SyncCommit::kRemoteWrite;
    const auto& during = walk.before(p.step);
    // The committing node keeps it: flushed before the acknowledgement (synchronous_commit
    // >= local, 20.5.1), or never crashed since (a clean stop flushes all WAL).
    const bool kept_dir = generation(during, p.writer) == generation(walk.at_end(), p.writer);
    const bool crashed = any_crash(walk, p.writer, p.step, end);
    if (kept_dir && (level >= SyncCommit::kLocal || !crashed) &&
        observed(run, p.writer, t.label) == Presence::kAbsent) {
      findings.push_back(make_finding(
          kAcknowledgedCommitLost, p.writer, {&t},
          fmt::format("{} was acknowledged on {} at step {}{} with synchronous_commit = {}{}, yet {} does not hold it "
                      "at the end although it kept its data directory",
                      t.label, p.writer, p.step + 1, commit_at(t), to_string(level),
                      crashed ? " (flushed before the acknowledgement)" : " and no crash since", p.writer)));
    }
    if (!sync_rep || blocked_at_some_point(run, t.label)) continue;
    for (const auto& [standby, state] : during) {
      if (!certainly_acknowledged_by(names, during, p.writer, standby)) continue;
      if (generation(during, standby) != generation(walk.at_end(), standby)) continue;
      // remote_write: the standby had written it, not flushed it; its OS crash may lose it (20.5.1).
      if (level == SyncCommit::kRemoteWrite && walk.any_step(StepKind::kOsCrash, standby, p.step, end)) continue;
      const NodeAtStep& last = walk.at_end().at(standby);
      const bool promoted = last.primary && walk.any_step(StepKind::kPromote, standby, p.step, end);
      // remote_apply: replayed before the acknowledgement, so visible on a standby that kept running.
      const bool applied = level == SyncCommit::kRemoteApply && !last.primary && last.running() &&
                           !any_crash(walk, standby, p.step, end) &&
                           !walk.any_step(StepKind::kStop, standby, p.step, end);
      if (!promoted && !applied) continue;
      if (observed(run, standby, t.label) != Presence::kAbsent) continue;
      findings.push_back(make_finding(
          kAcknowledgedCommitLost, standby, {&t},
          fmt::format("{} was acknowledged at step {}{} under synchronous_standby_names = '{}' and synchronous_commit "
                      "= {}, so {} (a synchronous standby then) had it; {} {} does not hold it",
                      t.label, p.step + 1, commit_at(t), names_text, to_string(level),
                      standby, promoted ? "yet after its promotion" : "yet", standby)));
    }
  }
  return findings;
}

std::vector<Finding> check_phantom_write(const Scenario& scenario, const RunResult& run) {
  std::vector<Finding> findings;
  const ScenarioWalk walk(scenario);
  for (const auto& node : run.nodes) {
    for (const auto& [label, presence] : node.presence) {
      if (presence != Presence::kPresent) continue;
      const TxRecord* t = run.find_tx(label);
      if (t == nullptr && walk.step_of_label(label) < 0) {
        Finding f;
        f.check = kPhantomWrite;
        f.node = node.name;
        f.labels = {label};
        f.lsns = {Lsn{}};
        f.explanation = fmt::format("{} holds {}, which no step of the scenario wrote", node.name, label);
        findings.push_back(std::move(f));
      } else if (t != nullptr && certainly(*t, TxOutcome::kFailed)) {
        findings.push_back(
            make_finding(kPhantomWrite, node.name, {t},
                         fmt::format("{} holds {}, whose transaction failed ({}): a failed transaction never commits",
                                     node.name, label, t->detail.empty() ? "an error" : t->detail)));
      }
    }
  }
  return findings;
}

std::vector<Finding> check_standby_not_prefix(const Scenario& scenario, const RunResult& run) {
  std::vector<Finding> findings;
  const ScenarioWalk walk(scenario);
  const std::vector<Placed> placed = place(walk, run);
  std::set<std::string> writers;
  for (const auto& p : placed) writers.insert(p.writer);
  for (const auto& node : run.nodes) {
    for (const auto& writer : writers) {
      // The writer's commits in commit order (steps run one after another).
      std::vector<const Placed*> order;
      for (const auto& p : placed)
        if (p.writer == writer) order.push_back(&p);
      int last_present = -1;
      for (int i = 0; i < static_cast<int>(order.size()); ++i)
        if (observed(run, node.name, order[static_cast<size_t>(i)]->tx->label) == Presence::kPresent) last_present = i;
      if (last_present < 0) continue;
      const Placed& b = *order[static_cast<size_t>(last_present)];
      std::vector<const TxRecord*> gaps;
      for (int j = 0; j < last_present; ++j) {
        const Placed& a = *order[static_cast<size_t>(j)];
        if (!certainly_committed(*a.tx) || a.tx->timeline != b.tx->timeline) continue;
        // On the writer itself a commit still waiting for sync replication is not yet visible.
        if (node.name == writer && may_be(*a.tx, TxOutcome::kBlocked)) continue;
        // A new data directory, or a crash that may drop an unflushed commit, starts a new history.
        if (generation(walk.before(a.step), writer) != generation(walk.before(b.step), writer)) continue;
        if (scenario.cluster.synchronous_commit == SyncCommit::kOff && any_crash(walk, writer, a.step, b.step))
          continue;
        if (observed(run, node.name, a.tx->label) == Presence::kAbsent) gaps.push_back(a.tx);
      }
      if (gaps.empty()) continue;
      std::vector<std::string> missing;
      for (const TxRecord* g : gaps) missing.push_back(g->label + commit_at(*g));
      gaps.push_back(b.tx);
      findings.push_back(make_finding(
          kStandbyNotPrefix, node.name, gaps,
          fmt::format("{} holds {}{}, committed on {} at step {}, but not the earlier {} committed on {}: WAL is "
                      "replayed in order, so a node cannot hold a commit without every commit before it",
                      node.name, b.tx->label, commit_at(*b.tx), writer, b.step + 1, fmt::join(missing, ", "), writer)));
    }
  }
  return findings;
}

namespace {

// Which commits of the backup's writer a restore to `target` must hold: those of steps
// before `cut`, plus the one at `cut` when `at_cut` says so. `undetermined_label` is a
// transaction whose own inclusion the check does not judge (an LSN target naming it).
struct Cut {
  int step = -1;
  bool at_cut = false;
  std::string undetermined_label;
  std::string describe;
};

// The first restore point called `name` the server made: a restore_point step it refused (on a
// standby) wrote nothing, and recovery stops at the first of several with one name.
int restore_point_step(const Scenario& scenario, const RunResult& run, const std::string& name) {
  for (size_t i = 0; i < scenario.steps.size(); ++i) {
    const Step& st = scenario.steps[i];
    const StepResult* result = run.find_step(static_cast<int>(i));
    if (st.kind == StepKind::kRestorePoint && st.name == name && (result == nullptr || !result->refused))
      return static_cast<int>(i);
  }
  return -1;
}

std::optional<Cut> cut_of(const ScenarioWalk& walk, const Step& restore, int backup_step, int restore_point) {
  const RecoveryTarget& t = restore.target;
  Cut c;
  switch (t.kind) {
    case RecoveryTarget::Kind::kNone: return std::nullopt;  // End of the archive: not knowable from the steps.
    case RecoveryTarget::Kind::kImmediate:
      c.step = backup_step;
      c.describe = "immediate (the end of the base backup)";
      break;
    case RecoveryTarget::Kind::kName:
      c.step = restore_point;
      c.describe = "restore point " + t.ref;
      break;
    case RecoveryTarget::Kind::kTime:
      c.step = walk.step_of_name(StepKind::kMark, t.ref);
      c.describe = "the time of mark " + t.ref;
      break;
    case RecoveryTarget::Kind::kXid:
      c.step = walk.step_of_label(t.ref);
      c.at_cut = t.inclusive;
      c.describe = fmt::format("the xid of {} ({})", t.ref, t.inclusive ? "inclusive" : "exclusive");
      break;
    case RecoveryTarget::Kind::kLsn:
      c.step = walk.step_of_name(StepKind::kMark, t.ref);
      if (c.step < 0) {
        c.step = walk.step_of_label(t.ref);
        c.undetermined_label = t.ref;
      }
      c.describe = "the LSN of " + t.ref;
      break;
  }
  if (c.step < 0) return std::nullopt;
  return c;
}

}  // namespace

std::vector<Finding> check_pitr_not_exact_prefix(const Scenario& scenario, const RunResult& run) {
  std::vector<Finding> findings;
  const ScenarioWalk walk(scenario);
  const std::vector<Placed> placed = place(walk, run);
  for (int r = 0; r < static_cast<int>(scenario.steps.size()); ++r) {
    const Step& restore = scenario.steps[static_cast<size_t>(r)];
    if (restore.kind != StepKind::kRestore) continue;
    const NodeFinal* node = run.find_node(restore.node);
    if (node == nullptr || !node->error.empty() || node->presence.empty()) continue;
    if (generation(walk.before(r + 1), restore.node) != generation(walk.at_end(), restore.node)) continue;
    const int b = walk.step_of_name(StepKind::kBaseBackup, restore.backup);
    if (b < 0) continue;
    const Step& backup = scenario.steps[static_cast<size_t>(b)];
    const auto& at_backup = walk.before(b);
    std::string writer = walk.current_primary(b);
    if (!backup.node.empty() && at_backup.count(backup.node) && at_backup.at(backup.node).primary) writer = backup.node;
    // A promotion in between switches timelines; the writer must keep its data directory.
    bool promoted = false;
    for (int i = b + 1; i < r; ++i) promoted |= scenario.steps[static_cast<size_t>(i)].kind == StepKind::kPromote;
    if (promoted || generation(at_backup, writer) != generation(walk.before(r), writer)) continue;
    auto cut = cut_of(walk, restore, b, restore_point_step(scenario, run, restore.target.ref));
    if (!cut) continue;
    std::vector<const TxRecord*> missing, extra;
    for (const Placed& p : placed) {
      if (p.writer != writer || p.step >= r || !certainly_committed(*p.tx)) continue;
      if (p.tx->label == cut->undetermined_label) continue;
      const bool expected = p.step < cut->step || (p.step == cut->step && cut->at_cut);
      const auto seen = observed(run, restore.node, p.tx->label);
      if (!seen) continue;
      if (expected && *seen == Presence::kAbsent) missing.push_back(p.tx);
      if (!expected && *seen == Presence::kPresent) extra.push_back(p.tx);
    }
    if (missing.empty() && extra.empty()) continue;
    auto labels = [](const std::vector<const TxRecord*>& txs) {
      std::vector<std::string> out;
      for (const TxRecord* t : txs) out.push_back(t->label + commit_at(*t));
      return out.empty() ? std::string("none") : fmt::format("{}", fmt::join(out, ", "));
    };
    std::vector<const TxRecord*> witness = missing;
    witness.insert(witness.end(), extra.begin(), extra.end());
    findings.push_back(make_finding(
        kPitrNotExactPrefix, restore.node, witness,
        fmt::format("{}, restored from base backup {} to {} (step {}), must hold exactly {}'s commits before the "
                    "target; missing: {}; beyond the target: {}",
                    restore.node, restore.backup, cut->describe, cut->step + 1, writer, labels(missing),
                    labels(extra))));
  }
  return findings;
}

std::vector<Finding> check_history(const Scenario& scenario, const RunResult& run) {
  std::vector<Finding> all;
  for (auto check :
       {check_acknowledged_commit_lost, check_phantom_write, check_standby_not_prefix, check_pitr_not_exact_prefix}) {
    auto found = check(scenario, run);
    all.insert(all.end(), found.begin(), found.end());
  }
  return all;
}

std::string to_string(const Finding& f) { return fmt::format("{} on {}: {}", f.check, f.node, f.explanation); }

nlohmann::json to_json(const Finding& f) {
  nlohmann::json lsns = nlohmann::json::array();
  for (const auto& l : f.lsns) lsns.push_back(l.to_string());
  return {{"check", f.check}, {"node", f.node}, {"labels", f.labels}, {"lsns", lsns}, {"explanation", f.explanation}};
}

Result<Finding> finding_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return Status::InvalidInput("malformed finding: not an object");
  try {
    Finding f;
    f.check = j.at("check").get<std::string>();
    f.node = j.at("node").get<std::string>();
    f.labels = j.at("labels").get<std::vector<std::string>>();
    for (const auto& l : j.at("lsns")) {
      auto lsn = Lsn::parse(l.get<std::string>());
      if (!lsn) return Status::InvalidInput("malformed finding: bad LSN");
      f.lsns.push_back(*lsn);
    }
    f.explanation = j.at("explanation").get<std::string>();
    return f;
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidInput(std::string("malformed finding: ") + e.what());
  }
}

}  // namespace replsim
