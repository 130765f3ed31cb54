// The semantic half of reading a scenario: walks the steps through the nodes' states
// and rejects what cannot happen (promote a primary, resume a node that is not paused,
// restore from a backup that does not exist, expect a label no step wrote, ...).
#include <fmt/format.h>

#include <map>
#include <set>

#include "vocab/scenario.h"
#include "vocab/scenario_parser.h"
#include "vocab/scenario_walk.h"
#include "vocab/status.h"
#include "vocab/step_visitor.h"

namespace replsim {
namespace {

// What a stalled disk blocks (docs/model.md "Disk stalls"): a stalled disk never completes an
// fsync, so every step that needs a flush of its node, or waits for what only its flush would
// release, would hang.
enum class Flushes {
  kNothing,           // The step needs no flush the stall could withhold.
  kEveryNode,         // It waits for the standbys: any stalled disk may hold it forever.
  kItsNode,           // It acts on `node`, which must flush.
  kItsNodeOrPrimary,  // It acts on `node`, or on the current primary when none is named.
};

struct FlushesOf {
  Flushes on_insert(const Step&) const { return Flushes::kNothing; }
  Flushes on_update(const Step&) const { return Flushes::kNothing; }
  Flushes on_delete(const Step&) const { return Flushes::kNothing; }
  Flushes on_truncate(const Step&) const { return Flushes::kNothing; }
  Flushes on_mark(const Step&) const { return Flushes::kNothing; }
  Flushes on_wait(const Step&) const { return Flushes::kNothing; }
  Flushes on_partition(const Step&) const { return Flushes::kNothing; }
  Flushes on_heal(const Step&) const { return Flushes::kNothing; }
  Flushes on_os_crash(const Step&) const { return Flushes::kNothing; }
  Flushes on_restore(const Step&) const { return Flushes::kNothing; }
  Flushes on_break_archive(const Step&) const { return Flushes::kNothing; }
  Flushes on_repair_archive(const Step&) const { return Flushes::kNothing; }
  Flushes on_catchup(const Step&) const { return Flushes::kEveryNode; }
  Flushes on_check_lag(const Step&) const { return Flushes::kEveryNode; }
  Flushes on_cancel(const Step&) const { return Flushes::kEveryNode; }
  Flushes on_terminate(const Step&) const { return Flushes::kEveryNode; }
  Flushes on_reload(const Step&) const { return Flushes::kItsNode; }
  Flushes on_pause(const Step&) const { return Flushes::kItsNode; }
  Flushes on_resume(const Step&) const { return Flushes::kItsNode; }
  Flushes on_crash(const Step&) const { return Flushes::kItsNode; }
  Flushes on_stop(const Step&) const { return Flushes::kItsNode; }
  Flushes on_start(const Step&) const { return Flushes::kItsNode; }
  Flushes on_wipe(const Step&) const { return Flushes::kItsNode; }
  Flushes on_promote(const Step&) const { return Flushes::kItsNode; }
  Flushes on_stall_disk(const Step&) const { return Flushes::kItsNode; }
  Flushes on_switch_wal(const Step&) const { return Flushes::kItsNodeOrPrimary; }
  Flushes on_restore_point(const Step&) const { return Flushes::kItsNodeOrPrimary; }
  Flushes on_checkpoint(const Step&) const { return Flushes::kItsNodeOrPrimary; }
  Flushes on_base_backup(const Step&) const { return Flushes::kItsNodeOrPrimary; }
  Flushes on_naive_copy(const Step&) const { return Flushes::kItsNodeOrPrimary; }
  Flushes on_pause_replay(const Step&) const { return Flushes::kItsNode; }
  Flushes on_resume_replay(const Step&) const { return Flushes::kItsNode; }
  // A session's steps are writes: a stalled disk makes their commit wait, as any write's.
  Flushes on_begin(const Step&) const { return Flushes::kNothing; }
  Flushes on_commit(const Step&) const { return Flushes::kNothing; }
  Flushes on_rollback(const Step&) const { return Flushes::kNothing; }
};

// Walks the steps through the scenario walk's node states (scenario_walk.h): each step is
// judged against the states before it (one on_<kind> per step kind), then applied.
class Checker {
 public:
  explicit Checker(const Scenario& s) : s_(s), state_(s) {}

  Status check() {
    for (size_t i = 0; i < s_.steps.size(); ++i) {
      const Step& step = s_.steps[i];
      index_ = static_cast<int>(i);
      if (Status st = check_stalls(step); !st.ok()) return st;
      if (Status st = visit_step(step, *this); !st.ok()) return st;
      state_.apply(step);
    }
    if (Status st = check_sessions_ended(); !st.ok()) return st;
    for (const auto& [name, n] : state_.nodes()) {
      if (n.stalled)
        return error(n.stalled_at, fmt::format("the disk of '{}' stalls here and never recovers: only os_crash: {} "
                                               "ends a stall (a clean end would hang in fsync)",
                                               name, name));
    }
    for (const auto& e : s_.expectations) {
      if (Status st = check_expectation(e); !st.ok()) return st;
    }
    return Status::Ok();
  }

  // Transactions.
  Status on_insert(const Step& step) { return step.session.empty() ? check_write(step) : check_statement(step); }
  Status on_update(const Step& step) { return check_write(step); }
  Status on_delete(const Step& step) { return check_write(step); }
  Status on_truncate(const Step& step) { return check_write(step); }

  // Observation and pacing.
  Status on_mark(const Step& step) { return check_name(step, marks_, "mark"); }
  Status on_check_lag(const Step& step) {
    if (Status st = check_name(step, lag_checks_, "lag check"); !st.ok()) return st;
    if (!step.node.empty()) return need_node(step).status();
    if (s_.cluster.nodes.size() != 2)
      return error(step.pos, "check_lag needs 'node:' when there is not exactly one standby");
    return Status::Ok();
  }
  Status on_catchup(const Step& step) {
    if (Status st = optional_node(step); !st.ok()) return st;
    return check_catchup_replay(step);
  }
  Status on_wait(const Step&) { return Status::Ok(); }
  Status on_cancel(const Step& step) { return check_written_before(step); }
  // The harness reaches the node with a statement: it must be running, not paused.
  Status on_reload(const Step& step) {
    return require(
        step, [](const NodeAtStep& n) { return n.run == NodeRun::kRunning; }, "cannot reload '{}': it is not running");
  }
  Status on_terminate(const Step& step) { return check_written_before(step); }
  // cancel and terminate signal the waiting commit of a transaction an earlier step wrote.
  Status check_written_before(const Step& step) const {
    if (labels_.count(step.label)) return Status::Ok();
    return error(step.pos, fmt::format("cannot {} '{}': no earlier step wrote it", to_string(step.kind), step.label));
  }

  // Faults.
  Status on_pause(const Step& step) {
    return require(
        step, [](const NodeAtStep& n) { return n.run == NodeRun::kRunning; }, "cannot pause '{}': it is not running");
  }
  Status on_resume(const Step& step) {
    return require(
        step, [](const NodeAtStep& n) { return n.run == NodeRun::kPaused; }, "cannot resume '{}': it is not paused");
  }
  Status on_crash(const Step& step) {
    return require(
        step, [](const NodeAtStep& n) { return n.running(); }, "cannot crash '{}': it is not running");
  }
  Status on_stop(const Step& step) {
    return require(
        step, [](const NodeAtStep& n) { return n.run == NodeRun::kRunning; }, "cannot stop '{}': it is not running");
  }
  Status on_start(const Step& step) {
    Result<const NodeAtStep*> n = need_node(step);
    if (!n.ok()) return n.status();
    if ((*n)->run != NodeRun::kDown)
      return error(step.pos,
                   fmt::format("cannot start '{}': it is {}", step.node,
                               (*n)->run == NodeRun::kWiped ? "wiped (restore it instead)" : "already running"));
    return Status::Ok();
  }
  Status on_wipe(const Step& step) {
    return require(
        step, [](const NodeAtStep& n) { return n.run == NodeRun::kDown; }, "cannot wipe '{}': stop or crash it first");
  }
  Status on_partition(const Step& step) {
    Result<const NodeAtStep*> n = need_node(step);
    if (!n.ok()) return n.status();
    if ((*n)->primary && step.node == s_.cluster.nodes[0].name)
      return error(step.pos,
                   fmt::format("partition takes a standby (the link to its primary); '{}' is the primary", step.node));
    if ((*n)->partitioned) return error(step.pos, fmt::format("'{}' is already partitioned", step.node));
    return Status::Ok();
  }
  Status on_heal(const Step& step) {
    return require(
        step, [](const NodeAtStep& n) { return n.partitioned; }, "cannot heal '{}': it is not partitioned");
  }
  Status on_stall_disk(const Step& step) {
    return require(
        step, [](const NodeAtStep& n) { return n.run == NodeRun::kRunning; },
        "cannot stall the disk of '{}': it is not running");
  }
  Status on_os_crash(const Step& step) {
    return require(
        step, [](const NodeAtStep& n) { return n.running(); }, "cannot os_crash '{}': it is not running");
  }

  // Operations.
  Status on_promote(const Step& step) {
    Result<const NodeAtStep*> n = need_node(step);
    if (!n.ok()) return n.status();
    // pg_promote() on a running primary is PostgreSQL's ERROR "recovery is not in progress", at
    // run time (docs/model.md "Steps PostgreSQL refuses"): a step of the scenario, not bad input.
    if ((*n)->run != NodeRun::kRunning)
      return error(step.pos, fmt::format("cannot promote '{}': it is not running", step.node));
    return Status::Ok();
  }
  Status on_base_backup(const Step& step) {
    if (!step.node.empty()) {
      Result<const NodeAtStep*> n = need_node(step);
      if (!n.ok()) return n.status();
      if ((*n)->run != NodeRun::kRunning)
        return error(step.pos, fmt::format("cannot back up '{}': it is not running", step.node));
      if ((*n)->replay_paused)
        return error(step.pos, fmt::format("cannot back up '{}' while its replay is paused (not modelled): "
                                           "resume_replay: {} first",
                                           step.node, step.node));
    }
    if (copies_.count(step.name)) return error(step.pos, fmt::format("'{}' already names a naive copy", step.name));
    return check_name(step, backups_, "base backup");
  }
  Status on_switch_wal(const Step& step) { return optional_node(step); }
  // PostgreSQL accepts a restore point name twice (recovery stops at the first): the first is kept.
  Status on_restore_point(const Step& step) {
    restore_points_.emplace(step.name, index_);
    return optional_node(step);
  }
  Status on_restore(const Step& step);
  Status on_checkpoint(const Step& step) {
    const std::string target = step.node.empty() ? state_.primary() : step.node;
    const NodeAtStep* node = state_.find(target);
    if (node == nullptr) return error(step.pos, fmt::format("unknown node '{}' in step 'checkpoint'", target));
    if (!node->primary || node->run != NodeRun::kRunning)
      return error(step.pos, fmt::format("checkpoint takes a running primary; '{}' is not one", target));
    return Status::Ok();
  }
  Status on_naive_copy(const Step& step);
  Status on_pause_replay(const Step& step) { return check_replay_control(step); }
  Status on_resume_replay(const Step& step) { return check_replay_control(step); }
  Status on_break_archive(const Step& step) { return check_archive(step, true); }
  Status on_repair_archive(const Step& step) { return check_archive(step, false); }

 private:
  Status error(SourcePos pos, const std::string& message) const {
    return Status::InvalidInput(fmt::format("{}:{}:{}: {}", s_.file, pos.line, pos.column, message));
  }

  Result<const NodeAtStep*> need_node(const Step& step) const {
    const NodeAtStep* n = state_.find(step.node);
    if (n == nullptr)
      return error(step.pos, fmt::format("unknown node '{}' in step '{}'", step.node, to_string(step.kind)));
    return n;
  }

  Status optional_node(const Step& step) const { return step.node.empty() ? Status::Ok() : need_node(step).status(); }

  // The step's node must exist and be in a state `allowed` accepts; `refusal` formats the node's name.
  template <typename Allowed>
  Status require(const Step& step, Allowed allowed, fmt::format_string<const std::string&> refusal) const {
    Result<const NodeAtStep*> n = need_node(step);
    if (!n.ok()) return n.status();
    if (!allowed(**n)) return error(step.pos, fmt::format(refusal, step.node));
    return Status::Ok();
  }

  // pause_replay / resume_replay: pg_wal_replay_pause() / pg_wal_replay_resume() on a running
  // server that answers. On a primary PostgreSQL refuses them at run time (55000, a step result).
  // A restored node in archive recovery is not modelled with them (docs/model.md "Replay control").
  Status check_replay_control(const Step& step) const {
    Result<const NodeAtStep*> n = need_node(step);
    if (!n.ok()) return n.status();
    const char* verb = to_string(step.kind);
    if ((*n)->run != NodeRun::kRunning)
      return error(step.pos,
                   fmt::format("cannot {} '{}': it is {}", verb, step.node,
                               (*n)->run == NodeRun::kPaused ? "paused (its server answers nothing)" : "not running"));
    // A restored node paused at its recovery target (recovery_target_action = pause) takes
    // resume_replay: PostgreSQL then ends recovery and promotes it (docs/model.md, "Resuming at a
    // recovery target"). pause_replay of it is not modelled.
    if (!(*n)->primary && (*n)->upstream.empty() && step.kind != StepKind::kResumeReplay)
      return error(step.pos, fmt::format("{} takes a streaming standby (or a primary, which refuses it); '{}' is a "
                                         "restored node in archive recovery",
                                         verb, step.node));
    return Status::Ok();
  }

  // A standby whose replay is paused never catches up: catchup would wait until it gives up.
  Status check_catchup_replay(const Step& step) const {
    for (const auto& [name, n] : state_.nodes()) {
      if (!n.replay_paused || n.primary || (!step.node.empty() && step.node != name)) continue;
      return error(step.pos, fmt::format("catchup while the replay of '{}' is paused would wait forever: "
                                         "resume_replay: {} first",
                                         name, name));
    }
    return check_catchup_delay(step);
  }

  // A standby with a long recovery_min_apply_delay does not replay a new commit until the delay
  // has passed: catchup would wait for it longer than its own bound (10 s). Name the others.
  Status check_catchup_delay(const Step& step) const {
    for (const NodeSpec& spec : s_.cluster.nodes) {
      if (spec.apply_delay_us <= kLongestCaughtUpDelayUs || (!step.node.empty() && step.node != spec.name)) continue;
      const auto it = state_.nodes().find(spec.name);
      if (it == state_.nodes().end() || it->second.primary) continue;
      return error(step.pos, fmt::format("catchup would wait for '{}', whose apply_delay holds back every commit "
                                         "longer than catchup waits: name the standbys to wait for (catchup: NODE)",
                                         spec.name));
    }
    return Status::Ok();
  }
  static constexpr int64_t kLongestCaughtUpDelayUs = 5'000'000;

 public:
  // Sessions (docs/scenario.md, "Sessions"): a begin opens one, a commit or rollback ends it;
  // its statements run while it is open; every session ends before the scenario does.
  Status on_begin(const Step& step) {
    if (Status st = check_write(step); !st.ok()) return st;
    if (const NodeAtStep* n = state_.find(step.node.empty() ? state_.primary() : step.node); n && n->paused())
      return error(step.pos, "cannot begin a session on a paused node: nothing reaches it");
    open_sessions_[step.label] = {step.pos, step.node.empty() ? state_.primary() : step.node};
    return Status::Ok();
  }
  Status on_commit(const Step& step) { return end_session(step); }
  Status on_rollback(const Step& step) { return end_session(step); }

 private:
  Status end_session(const Step& step) {
    if (!open_sessions_.count(step.label))
      return error(step.pos, fmt::format("cannot {} '{}': no session of that name is open (begin: {} first)",
                                         to_string(step.kind), step.label, step.label));
    if (Status st = check_session_node(step, step.label); !st.ok()) return st;
    open_sessions_.erase(step.label);
    labels_[step.label] = index_;  // The transaction takes its place in the order here.
    return Status::Ok();
  }
  Status check_statement(const Step& step) {
    if (!open_sessions_.count(step.session))
      return error(step.pos, fmt::format("no session '{}' is open here (begin: {} first)", step.session, step.session));
    if (labels_.count(step.label) || !statements_.emplace(step.label, step.session).second)
      return error(step.pos, fmt::format("label '{}' is used twice", step.label));
    return check_session_node(step, step.session);
  }
  // Nothing reaches a paused (SIGSTOPped) server: a session's statement or end would hang there.
  Status check_session_node(const Step& step, const std::string& session) const {
    const std::string& node = open_sessions_.at(session).node;
    const NodeAtStep* n = state_.find(node);
    if (n != nullptr && n->run == NodeRun::kPaused)
      return error(step.pos, fmt::format("cannot {} in session '{}': its node '{}' is paused (resume: {} first)",
                                         to_string(step.kind), session, node, node));
    return Status::Ok();
  }
  Status check_sessions_ended() const {
    if (open_sessions_.empty()) return Status::Ok();
    const auto& [name, open] = *open_sessions_.begin();
    return error(open.pos, fmt::format("session '{}' never ends: add commit: {} or rollback: {}", name, name, name));
  }

  Status check_write(const Step& step) {
    if (statements_.count(step.label))
      return error(step.pos, fmt::format("transaction label '{}' is used twice", step.label));
    if (!labels_.emplace(step.label, index_).second)
      return error(step.pos, fmt::format("transaction label '{}' is used twice", step.label));
    return optional_node(step);
  }

  Status check_name(const Step& step, std::map<std::string, int>& names, const char* what) {
    if (!names.emplace(step.name, index_).second)
      return error(step.pos, fmt::format("{} '{}' is defined twice", what, step.name));
    return Status::Ok();
  }

  // A naive copy may be taken in several steps (the parts from different moments); only a
  // complete copy can be restored, and it has no WAL archive position to aim recovery at.
  struct NaiveCopy {
    std::string source;
    std::set<std::string> parts;
  };

  Status check_restore_copy(const Step& step, const NaiveCopy& copy) const {
    if (copy.parts.size() != naive_copy_parts().size())
      return error(step.pos, fmt::format("naive copy '{}' is incomplete: it lacks some of {}", step.backup,
                                         fmt::join(naive_copy_parts(), ", ")));
    if (step.target.kind != RecoveryTarget::Kind::kNone)
      return error(
          step.pos,
          fmt::format("'{}' is a naive copy: it starts with crash recovery and takes no recovery target", step.backup));
    return Status::Ok();
  }

  Status check_archive(const Step& step, bool breaking) {
    if (!s_.cluster.archive_mode)
      return error(step.pos, fmt::format("{} needs cluster archive_mode: true", to_string(step.kind)));
    if (breaking == archive_broken_)
      return error(step.pos,
                   breaking ? "the archive is already broken" : "cannot repair the archive: it is not broken");
    archive_broken_ = breaking;
    return Status::Ok();
  }

  // The step a recovery target names, or an error when it names nothing before the restore.
  Result<int> target_step(const Step& step) const;
  Status check_second_target(const Step& step) const;

  // A stalled disk never completes an fsync: every step that needs a flush of that node, or
  // waits for what only its flush would release, would hang (docs/model.md "Disk stalls").
  Status check_stalls(const Step& step) const {
    const Flushes flushes = visit_step(step, FlushesOf{});
    if (flushes == Flushes::kNothing) return Status::Ok();
    if (flushes == Flushes::kEveryNode) {
      for (const auto& [name, n] : state_.nodes()) {
        if (n.stalled)
          return error(step.pos,
                       fmt::format("{} while the disk of '{}' is stalled could wait forever: os_crash it first",
                                   to_string(step.kind), name));
      }
      return Status::Ok();
    }
    const std::string on = step.node.empty() && flushes == Flushes::kItsNodeOrPrimary ? state_.primary() : step.node;
    const NodeAtStep* n = state_.find(on);
    if (n == nullptr || !n->stalled) return Status::Ok();
    return error(step.pos, fmt::format("cannot {} '{}': its disk is stalled (line {}), so it would hang in fsync; only "
                                       "os_crash: {} ends a stall",
                                       to_string(step.kind), on, n->stalled_at.line, on));
  }

  Status check_expectation(const Expectation& e) const {
    if (!e.node.empty() && state_.find(e.node) == nullptr)
      return error(e.pos, fmt::format("unknown node '{}'", e.node));
    switch (e.kind) {
      case ExpectKind::kRows: return Status::Ok();
      case ExpectKind::kLag:
        if (!lag_checks_.count(e.name)) return error(e.pos, fmt::format("no check_lag step named '{}'", e.name));
        return Status::Ok();
      case ExpectKind::kError:
      case ExpectKind::kStepError:  // The parser found its step.
      case ExpectKind::kState:
      case ExpectKind::kTimeline:
      case ExpectKind::kSyncState: return Status::Ok();
      case ExpectKind::kLostCount:
      case ExpectKind::kPresentCount: return check_count_expectation(e);
      case ExpectKind::kLost:
      case ExpectKind::kPresent:
      case ExpectKind::kAbsent:
      case ExpectKind::kAcknowledged:
      case ExpectKind::kBlocks:
      case ExpectKind::kCancelled:
      case ExpectKind::kFailed:
      case ExpectKind::kInDoubt:
        if (auto st = statements_.find(e.label); st != statements_.end())
          return error(e.pos, fmt::format("'{}' is a statement of session '{}', not a transaction: expect on '{}'",
                                          e.label, st->second, st->second));
        if (!labels_.count(e.label))
          return error(e.pos, fmt::format("no step wrote a transaction labelled '{}'", e.label));
        return Status::Ok();
    }
    return Status::Ok();
  }

  // lost_count / present_count: min <= max, and a label names a repeat's or load's group.
  Status check_count_expectation(const Expectation& e) const {
    if (e.count_min < 0 || e.count_max < e.count_min)
      return error(e.pos, fmt::format("expected 0 <= min <= max (got min {}, max {})", e.count_min, e.count_max));
    if (e.label.empty()) return Status::Ok();
    for (const auto& step : s_.steps)
      if (step.group == e.label) return Status::Ok();
    return error(e.pos, fmt::format("no repeat or load step is labelled '{}'", e.label));
  }

  const Scenario& s_;
  ClusterState state_;
  int index_ = 0;  // The step being checked.
  std::map<std::string, int> labels_, marks_, lag_checks_, backups_, restore_points_;
  std::map<std::string, NaiveCopy> copies_;
  bool archive_broken_ = false;
  struct OpenSession {
    SourcePos pos;     // Of its begin.
    std::string node;  // Where its connection went.
  };
  std::map<std::string, OpenSession> open_sessions_;  // Begun, not yet committed or rolled back.
  std::map<std::string, std::string> statements_;     // A session's statement label -> its session.
};

Status Checker::on_naive_copy(const Step& step) {
  const std::string source = step.node.empty() ? state_.primary() : step.node;
  const NodeAtStep* node = state_.find(source);
  if (node == nullptr) return error(step.pos, fmt::format("unknown node '{}' in step 'naive_copy'", source));
  if (!node->primary || node->run != NodeRun::kRunning)
    return error(step.pos,
                 fmt::format("naive_copy copies a running primary's data directory; '{}' is not one", source));
  if (backups_.count(step.name)) return error(step.pos, fmt::format("'{}' already names a base backup", step.name));
  auto [it, fresh] = copies_.try_emplace(step.name, NaiveCopy{source, {}});
  if (!fresh && it->second.source != source)
    return error(step.pos,
                 fmt::format("naive copy '{}' was started from '{}', not '{}'", step.name, it->second.source, source));
  for (const std::string& part : step.files) {
    if (!it->second.parts.insert(part).second)
      return error(step.pos, fmt::format("naive copy '{}' already holds part '{}'", step.name, part));
  }
  return Status::Ok();
}

Result<int> Checker::target_step(const Step& step) const {
  const RecoveryTarget& t = step.target;
  auto in = [](const std::map<std::string, int>& names, const std::string& name) {
    auto it = names.find(name);
    return it == names.end() ? -1 : it->second;
  };
  switch (t.kind) {
    case RecoveryTarget::Kind::kNone:
    case RecoveryTarget::Kind::kImmediate: return -1;
    case RecoveryTarget::Kind::kTime:
      if (!marks_.count(t.ref))
        return error(step.pos, fmt::format("recovery target time '{}' is not a mark defined before this step", t.ref));
      return in(marks_, t.ref);
    case RecoveryTarget::Kind::kXid:
      if (!labels_.count(t.ref))
        return error(step.pos, fmt::format("recovery target xid '{}' is not a transaction before this step", t.ref));
      return in(labels_, t.ref);
    case RecoveryTarget::Kind::kLsn:
      if (marks_.count(t.ref)) return in(marks_, t.ref);
      if (labels_.count(t.ref)) return in(labels_, t.ref);
      return error(step.pos,
                   fmt::format("recovery target lsn '{}' is neither a mark nor a transaction before this step", t.ref));
    case RecoveryTarget::Kind::kName:
      // A name no restore point had is accepted by PostgreSQL: recovery then ends before its
      // target was reached (recovery_target_not_reached), at run time.
      return in(restore_points_, t.ref);
  }
  return -1;
}

// The second of two recovery targets set at once must name something too; the server then
// refuses to start (docs/model.md "Steps PostgreSQL refuses").
Status Checker::check_second_target(const Step& step) const {
  if (step.target.second_kind == RecoveryTarget::Kind::kNone) return Status::Ok();
  Step second = step;
  second.target.kind = step.target.second_kind;
  second.target.ref = step.target.second_ref;
  return target_step(second).status();
}

Status Checker::on_restore(const Step& step) {
  const NodeAtStep* existing = state_.find(step.node);
  if (existing != nullptr && existing->run != NodeRun::kWiped)
    return error(step.pos, fmt::format("cannot restore into '{}': the node exists (wipe it first, or name a new node)",
                                       step.node));
  if (auto copy = copies_.find(step.backup); copy != copies_.end()) return check_restore_copy(step, copy->second);
  auto backup = backups_.find(step.backup);
  if (backup == backups_.end())
    return error(step.pos, fmt::format("no base backup or naive copy named '{}' before this step", step.backup));
  Result<int> ref_step = target_step(step);
  if (!ref_step.ok()) return ref_step.status();
  if (Status st = check_second_target(step); !st.ok()) return st;
  if (*ref_step >= 0 && *ref_step < backup->second)
    return error(step.pos, fmt::format("recovery target '{}' lies before the end of base backup '{}'", step.target.ref,
                                       step.backup));
  return Status::Ok();
}

std::string pairs(const std::vector<std::pair<std::string, std::string>>& kv) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : kv) parts.push_back(fmt::format("{}={}", k, v));
  return fmt::format("{}", fmt::join(parts, ", "));
}

const char* target_kind(RecoveryTarget::Kind kind) {
  switch (kind) {
    case RecoveryTarget::Kind::kNone: return "end of WAL";
    case RecoveryTarget::Kind::kImmediate: return "immediate";
    case RecoveryTarget::Kind::kTime: return "time";
    case RecoveryTarget::Kind::kXid: return "xid";
    case RecoveryTarget::Kind::kLsn: return "lsn";
    case RecoveryTarget::Kind::kName: return "name";
  }
  return "?";
}

const char* action_name(RecoveryTarget::Action a) {
  return a == RecoveryTarget::Action::kPause ? "pause" : a == RecoveryTarget::Action::kPromote ? "promote" : "shutdown";
}

}  // namespace

Status check_scenario(const Scenario& scenario) { return Checker(scenario).check(); }

namespace {

// describe_step's words for each kind of step.
struct Describer {
  static std::string on(const Step& step) { return step.node.empty() ? "" : " on " + step.node; }
  static std::string optional_node(const Step& step) {
    return step.node.empty() ? to_string(step.kind) : fmt::format("{} {}", to_string(step.kind), step.node);
  }
  // The faults and promote name only their kind and node.
  static std::string kind_and_node(const Step& step) { return fmt::format("{} {}", to_string(step.kind), step.node); }

  std::string on_insert(const Step& step) const {
    if (!step.session.empty())
      return fmt::format("insert {}: {} ({}) in session {}", step.label, step.table, pairs(step.values), step.session);
    return fmt::format("insert {}: {} ({}){}", step.label, step.table, pairs(step.values), on(step));
  }
  std::string on_begin(const Step& step) const { return fmt::format("begin {}{}", step.label, on(step)); }
  std::string on_commit(const Step& step) const { return fmt::format("commit {}", step.label); }
  std::string on_rollback(const Step& step) const { return fmt::format("rollback {}", step.label); }
  std::string on_update(const Step& step) const {
    return fmt::format("update {}: {} set {} where {}{}", step.label, step.table, pairs(step.values), pairs(step.where),
                       on(step));
  }
  std::string on_delete(const Step& step) const {
    return fmt::format("delete {}: {} where {}{}", step.label, step.table, pairs(step.where), on(step));
  }
  std::string on_truncate(const Step& step) const {
    return fmt::format("truncate {}: {}{}{}", step.label, step.table, step.cascade ? " cascade" : "", on(step));
  }
  std::string on_mark(const Step& step) const { return fmt::format("mark {}", step.name); }
  std::string on_catchup(const Step& step) const { return optional_node(step); }
  std::string on_wait(const Step& step) const { return fmt::format("wait {}ms", step.duration_ms); }
  std::string on_check_lag(const Step& step) const { return fmt::format("check_lag {}{}", step.name, on(step)); }
  std::string on_cancel(const Step& step) const { return fmt::format("cancel {}", step.label); }
  std::string on_terminate(const Step& step) const { return fmt::format("terminate {}", step.label); }
  std::string on_reload(const Step& step) const {
    return fmt::format("reload {}: synchronous_standby_names = '{}'", step.node,
                       step.synchronous_standby_names.value_or(""));
  }
  std::string on_pause(const Step& step) const { return kind_and_node(step); }
  std::string on_resume(const Step& step) const { return kind_and_node(step); }
  std::string on_partition(const Step& step) const {
    const char* dir = step.direction == PartitionDirection::kBoth        ? ""
                      : step.direction == PartitionDirection::kToStandby ? " (to standby)"
                                                                         : " (to primary)";
    return fmt::format("partition {}{}", step.node, dir);
  }
  std::string on_heal(const Step& step) const { return kind_and_node(step); }
  std::string on_crash(const Step& step) const { return kind_and_node(step); }
  std::string on_stop(const Step& step) const { return kind_and_node(step); }
  std::string on_start(const Step& step) const { return kind_and_node(step); }
  std::string on_wipe(const Step& step) const { return kind_and_node(step); }
  std::string on_promote(const Step& step) const { return kind_and_node(step); }
  std::string on_stall_disk(const Step& step) const { return kind_and_node(step); }
  std::string on_os_crash(const Step& step) const { return kind_and_node(step); }
  std::string on_pause_replay(const Step& step) const { return kind_and_node(step); }
  std::string on_resume_replay(const Step& step) const { return kind_and_node(step); }
  std::string on_base_backup(const Step& step) const {
    return fmt::format("base_backup {}{}", step.name, step.node.empty() ? "" : " from " + step.node);
  }
  std::string on_switch_wal(const Step& step) const { return optional_node(step); }
  std::string on_restore_point(const Step& step) const { return fmt::format("restore_point {}", step.name); }
  std::string on_checkpoint(const Step& step) const { return optional_node(step); }
  std::string on_naive_copy(const Step& step) const {
    return fmt::format("naive_copy {}: {}{}", step.name, fmt::join(step.files, ", "),
                       step.node.empty() ? "" : " of " + step.node);
  }
  std::string on_break_archive(const Step&) const { return "break_archive"; }
  std::string on_repair_archive(const Step&) const { return "repair_archive"; }
  std::string on_restore(const Step& step) const {
    if (step.target.kind == RecoveryTarget::Kind::kNone)
      return fmt::format("restore {} from {}", step.node, step.backup);
    if (step.target.second_kind != RecoveryTarget::Kind::kNone)
      return fmt::format("restore {} from {} to {}{}{} and {}{}{} ({}, action {}, timeline {})", step.node, step.backup,
                         target_kind(step.target.kind), step.target.ref.empty() ? "" : " ", step.target.ref,
                         target_kind(step.target.second_kind), step.target.second_ref.empty() ? "" : " ",
                         step.target.second_ref, step.target.inclusive ? "inclusive" : "exclusive",
                         action_name(step.target.action), step.target.timeline);
    return fmt::format("restore {} from {} to {}{}{} ({}, action {}, timeline {})", step.node, step.backup,
                       target_kind(step.target.kind), step.target.ref.empty() ? "" : " ", step.target.ref,
                       step.target.inclusive ? "inclusive" : "exclusive", action_name(step.target.action),
                       step.target.timeline);
  }
};

}  // namespace

// One line per step, in the scenario's own words, for timelines and generated files.
std::string describe_step(const Step& step) { return visit_step(step, Describer{}); }

}  // namespace replsim
