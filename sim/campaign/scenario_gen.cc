#include "sim/campaign/scenario_gen.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "sim/prng.h"
#include "vocab/assert.h"
#include "vocab/scenario_parser.h"  // describe_step: realised steps carry the text a file would.
#include "vocab/scenario_walk.h"

namespace replsim::campaign {
namespace {

using Run = NodeRun;

// What keeps generation legal: the node's state in the scenario walk (vocab/scenario_walk.h), the
// one the checker judges steps by, copied from the walk after every realised step (advance());
// and what only the generator asks about the node's past. The step functions below set only the
// latter: the walk's fields follow from the step itself.
struct NodeModel : NodeAtStep {
  std::string name;
  bool promoted = false;
  bool os_crashed = false;           // Its operating system crashed at some step.
  bool written_since_stall = false;  // A write step came after its disk stalled.
};

// The seed data set's row counts: updates and deletes name rows that exist at the start
// (a later delete may have removed them; then the statement simply changes nothing).
constexpr int kSeedCustomers = 6;
constexpr int kSeedOrders = 4;
constexpr int kSeedOrderItems = 6;

class Realizer {
 public:
  Realizer(const Plan& plan, const Profile& profile) : plan_(plan), profile_(profile) {}

  Scenario run(const std::string& name, StepText text) {
    scenario_.name = name;
    build_cluster();
    scenario_.steps.reserve(plan_.steps.size());
    for (const StepIntent& intent : plan_.steps) {
      // A burst is its inserts, one after the other (what `repeat:` expands to).
      // A session's begin comes with its first statement: a begin alone interleaves nothing.
      const Intent kind = kind_of(intent.kind);
      const int copies = kind == Intent::kBurst ? 3 + intent.variant % 6 : kind == Intent::kSession ? 2 : 1;
      for (int copy = 0; copy < copies; ++copy) {
        Step& step = scenario_.steps.emplace_back();
        if (!realize(intent, step)) {
          scenario_.steps.pop_back();
          break;
        }
        advance(step);
        if (text == StepText::kDescribe) step.text = describe_step(step);
        if (kind == Intent::kSession && !statement_due_) break;  // Only a begin has a second step.
      }
    }
    // Every session ends: those still open commit (the checker refuses one that never ends).
    while (!sessions_.empty()) {
      Step& step = scenario_.steps.emplace_back();
      // Nothing of a session happens while its node is paused (the checker's rule): resume it.
      if (const NodeAtStep* n = walk_->find(sessions_[0].node); n != nullptr && n->paused()) {
        step.kind = StepKind::kResume;
        step.node = sessions_[0].node;
      } else {
        end_session(0, step, true);
      }
      advance(step);
      if (text == StepText::kDescribe) step.text = describe_step(step);
    }
    // Only an operating-system crash ends a stall: a scenario never ends with one.
    for (NodeModel& n : nodes_) {
      if (!n.stalled) continue;
      Step& step = scenario_.steps.emplace_back();
      step.kind = StepKind::kOsCrash;
      step.node = n.name;
      advance(step);
      if (text == StepText::kDescribe) step.text = describe_step(step);
    }
    const Status resolved = resolve_scenario(scenario_);
    REPLSIM_ASSERT(resolved.ok(), "the generator forms only valid synchronous_standby_names and the seed data set");
    return std::move(scenario_);
  }

 private:
  void build_cluster() {
    const ClusterPlan& c = plan_.cluster;
    ClusterSpec& spec = scenario_.cluster;
    const int standbys = 1 + std::clamp(c.standbys - 1, 0, 2);
    spec.nodes.push_back({"primary", NodeRole::kPrimary, false, {}, std::nullopt});
    for (int i = 1; i <= standbys; ++i)
      spec.nodes.push_back({fmt::format("s{}", i), NodeRole::kStandby, false, {}, std::nullopt});
    walk_.emplace(scenario_);
    for (const NodeSpec& node : spec.nodes) {
      nodes_.emplace_back().name = node.name;
      static_cast<NodeAtStep&>(nodes_.back()) = *walk_->find(node.name);
    }
    // 1, 5 or 20 ms one way: a standby in the next room, the next city, the next country.
    if (profile_.link_latencies && c.far % 4 != 0) {
      static constexpr std::array<int64_t, 3> kFarUs = {1000, 5000, 20000};
      spec.nodes[static_cast<size_t>(1 + c.far % standbys)].link_latency_us =
          kFarUs[static_cast<size_t>(c.far % 4 - 1)];
    }
    if (!profile_.apply_delays_ms.empty() && c.delayed % 4 != 0) {
      const auto& delays = profile_.apply_delays_ms;
      spec.nodes[static_cast<size_t>(1 + (c.delayed / 4) % standbys)].apply_delay_us =
          1000 * delays[static_cast<size_t>(c.delayed % 4 - 1) % delays.size()];
    }
    spec.archive_mode = profile_.archive_mode;
    spec.synchronous_commit = profile_.levels[static_cast<size_t>(c.level) % profile_.levels.size()];
    spec.synchronous_standby_names = standby_names(standbys);
    sync_ = !spec.synchronous_standby_names.empty() && spec.synchronous_commit >= SyncCommit::kRemoteWrite;
  }

  // The walk takes the realised step; the models read their states from it.
  void advance(const Step& step) {
    const bool ends = step.kind == StepKind::kCrash || step.kind == StepKind::kStop || step.kind == StepKind::kOsCrash;
    for (OpenSession& o : sessions_) o.lost |= ends && step.node == o.node;
    walk_->apply(step);
    for (NodeModel& n : nodes_) static_cast<NodeAtStep&>(n) = *walk_->find(n.name);
  }

  // 0 empty, 1 a plain list, 2 FIRST n (...), 3 ANY n (...), 4 '*'.
  std::string standby_names(int standbys) const { return standby_names(plan_.cluster, standbys); }
  std::string standby_names(const ClusterPlan& c, int standbys) const {
    int shape = c.names_shape % 5;
    switch (profile_.names) {
      case NamesShape::kAny: break;
      case NamesShape::kAsync: shape = 0; break;
      case NamesShape::kEnabled: shape = 1 + c.names_shape % 4; break;
      case NamesShape::kRequired: shape = 1 + c.names_shape % 3; break;
    }
    if (shape == 0) return "";
    if (shape == 4) return "*";
    const int subsets = (1 << standbys) - 1;
    const int mask = 1 + c.listed % subsets;
    std::vector<std::string> listed;
    for (int i = 0; i < standbys; ++i)
      if (mask & (1 << i)) listed.push_back(fmt::format("s{}", i + 1));
    std::rotate(listed.begin(), listed.begin() + c.rotate % static_cast<int>(listed.size()), listed.end());
    const int count = static_cast<int>(listed.size());
    // Under kRequired every listed standby must confirm every commit: num_sync = count,
    // and a plain list (= FIRST 1) only when it lists one standby.
    if (profile_.names == NamesShape::kRequired) {
      if (shape == 1 && count > 1) shape = 2;
      return shape == 1 ? listed[0]
                        : fmt::format("{} {} ({})", shape == 2 ? "FIRST" : "ANY", count, fmt::join(listed, ", "));
    }
    if (shape == 1) return fmt::format("{}", fmt::join(listed, ", "));
    return fmt::format("{} {} ({})", shape == 2 ? "FIRST" : "ANY", 1 + c.num_sync % count, fmt::join(listed, ", "));
  }

  // Maps the intent's kind draw through the profile's cumulative weights, skipping the
  // kinds this run's swarm mask disabled.
  Intent kind_of(int draw) const {
    int total = 0;
    std::array<int, kIntentCount> w{};
    for (int i = 0; i < kIntentCount; ++i) {
      const bool disabled = i != 0 && i < kSwarmIntents && (plan_.swarm & (1u << i)) != 0;
      w[static_cast<size_t>(i)] = disabled ? 0 : profile_.weights[static_cast<size_t>(i)];
      total += w[static_cast<size_t>(i)];
    }
    if (total == 0) return Intent::kInsert;
    int point = static_cast<int>((static_cast<int64_t>(std::clamp(draw, 0, kWeightScale - 1)) * total) / kWeightScale);
    for (int i = 0; i < kIntentCount; ++i) {
      point -= w[static_cast<size_t>(i)];
      if (point < 0) return static_cast<Intent>(i);
    }
    return Intent::kInsert;
  }

  // Steers a draw where a disk fault happened (only profiles that draw disk intents have any):
  // among the nodes `pred` allows, those `prefer` marks, when there are some. An OS crash loses
  // something only after a stall, and only a standby cut off, restarted and promoted shows it.
  template <typename Pred, typename Prefer>
  NodeModel* pick_preferring(int target, Pred pred, Prefer prefer) {
    NodeModel* n = pick(target, [&](const NodeModel& m) { return pred(m) && prefer(m); });
    return n != nullptr ? n : pick(target, pred);
  }

  // At most a primary and three standbys (build_cluster): a fixed array, no allocation.
  template <typename Pred>
  NodeModel* pick(int target, Pred pred) {
    std::array<NodeModel*, 4> eligible{};
    size_t count = 0;
    for (auto& n : nodes_)
      if (pred(n) && count < eligible.size()) eligible[count++] = &n;
    if (count == 0) return nullptr;
    return eligible[static_cast<size_t>(target) % count];
  }

  std::string next_label() { return fmt::format("t{}", ++labels_); }

  // Every intent kind by name, so that a new kind is a compile error here (-Wswitch), not a
  // silent fall into some other kind's rules.
  bool realize(const StepIntent& in, Step& step) {
    switch (kind_of(in.kind)) {
      case Intent::kInsert: return insert(in, step);
      case Intent::kUpdate: return update(in, step);
      case Intent::kDelete: return erase(in, step);
      case Intent::kCatchup: return catchup(in, step);
      case Intent::kWait: return wait(in, step);
      case Intent::kPartition: return partition(in, step);
      case Intent::kHeal: return heal(in, step);
      case Intent::kPause: return pause(in, step);
      case Intent::kResume: return resume(in, step);
      case Intent::kCrash: return crash(in, step);
      case Intent::kStart: return start(in, step);
      case Intent::kStop: return stop(in, step);
      case Intent::kPromote: return promote(in, step);
      case Intent::kCancel: return cancel(in, step);
      case Intent::kBaseBackup: return base_backup(step);
      case Intent::kSwitchWal: return switch_wal(step);
      case Intent::kMark: return mark(step);
      case Intent::kRestorePoint: return restore_point(step);
      case Intent::kRestore: return restore(in, step);
      case Intent::kStallDisk: return stall_disk(in, step);
      case Intent::kOsCrash: return os_crash(in, step);
      case Intent::kBurst: return insert(in, step);
      case Intent::kTerminate: return terminate(in, step);
      case Intent::kPauseReplay: return pause_replay(in, step);
      case Intent::kResumeReplay: return resume_replay(in, step);
      case Intent::kReload: return reload(in, step);
      case Intent::kSession: return session(in, step);
    }
    REPLSIM_ASSERT(false, "an intent kind with no realisation");
    return false;
  }

  // `commits`: nothing references the row the step writes, so it commits on a running primary.
  void wrote(const Step& step, bool commits = true) {
    written_.push_back(step.label);
    for (NodeModel& n : nodes_) n.written_since_stall |= n.stalled;
    if (commits) remember_commit(step);
  }

  bool insert(const StepIntent& in, Step& step) {
    if (!writes_drawable()) return false;
    step.kind = StepKind::kInsert;
    step.label = next_label();
    if (in.variant % 3 != 2) {
      step.table = "customers";
      step.values = {{"firstname", fmt::format("Gen{}", labels_)},
                     {"lastname", "Campaign"},
                     {"email", fmt::format("{}@example.com", step.label)}};
    } else {
      step.table = "orders";
      step.values = {{"customerid", fmt::format("{}", 1 + in.target % kSeedCustomers)}, {"status", "new"}};
    }
    wrote(step);
    return true;
  }

  bool update(const StepIntent& in, Step& step) {
    if (!writes_drawable()) return false;
    step.kind = StepKind::kUpdate;
    step.label = next_label();
    if (in.variant % 2 == 0) {
      step.table = "customers";
      step.values = {{"email", fmt::format("{}@example.org", step.label)}};
      step.where = {{"id", fmt::format("{}", 1 + in.target % kSeedCustomers)}};
    } else {
      step.table = "orders";
      step.values = {{"status", "paid"}};
      step.where = {{"id", fmt::format("{}", 1 + in.target % kSeedOrders)}};
    }
    wrote(step);
    return true;
  }

  // Mostly order items (nothing references them); sometimes an order, which fails while
  // its items reference it: a failed transaction for the phantom-row checks.
  bool erase(const StepIntent& in, Step& step) {
    if (!writes_drawable()) return false;
    step.kind = StepKind::kDelete;
    step.label = next_label();
    if (in.variant % 4 != 3) {
      step.table = "orderitems";
      step.where = {{"id", fmt::format("{}", 1 + in.target % kSeedOrderItems)}};
    } else {
      step.table = "orders";
      step.where = {{"id", fmt::format("{}", 1 + in.target % kSeedOrders)}};
    }
    wrote(step, false);
    return true;
  }

  // `catchup` of one standby only while it certainly streams from the first primary;
  // otherwise the cluster-wide form, which waits for reachable standbys only.
  bool catchup(const StepIntent& in, Step& step) {
    if (any_stalled()) return false;        // It could wait for a flush that never completes.
    if (any_replay_paused()) return false;  // It would wait for a replay that never happens.
    step.kind = StepKind::kCatchup;
    const bool all = in.variant % 2 == 0 || promoted_ || nodes_[0].run != Run::kRunning;
    if (all && !long_delayed_standby()) return true;
    if (promoted_ || nodes_[0].run != Run::kRunning) return false;
    NodeModel* n = pick(in.target, [this](const NodeModel& m) {
      return !m.primary && m.run == Run::kRunning && !m.partitioned && !long_delay(m.name);
    });
    if (n != nullptr) step.node = n->name;
    return n != nullptr || !long_delayed_standby();
  }

  // A standby whose apply delay is longer than a catchup may wait for (the checker refuses
  // a catchup that would wait for it): catchups name the other standbys.
  bool long_delay(const std::string& name) const {
    const NodeSpec* spec = scenario_.cluster.find_node(name);
    return spec != nullptr && spec->apply_delay_us > 5'000'000;
  }
  bool long_delayed_standby() const {
    return std::any_of(nodes_.begin(), nodes_.end(),
                       [this](const NodeModel& m) { return !m.primary && long_delay(m.name); });
  }

  // Cancels a write that may be waiting for synchronous replication (the most recent
  // ones first): cancelling a finished commit is a no-op that teaches nothing.
  bool cancel(const StepIntent& in, Step& step) {
    if (!sync_ || written_.empty() || any_stalled()) return false;
    const size_t recent = std::min<size_t>(written_.size(), 3);
    step.kind = StepKind::kCancel;
    step.label = written_[written_.size() - 1 - static_cast<size_t>(in.target) % recent];
    return true;
  }

  // Terminates the backend of a write that may be waiting for synchronous replication, as
  // cancel picks one.
  bool terminate(const StepIntent& in, Step& step) {
    if (!cancel(in, step)) return false;
    step.kind = StepKind::kTerminate;
    return true;
  }

  // Another synchronous_standby_names for the running first primary: empty (which releases every
  // waiting commit) or one of the shapes the cluster could have started with.
  bool reload(const StepIntent& in, Step& step) {
    const NodeModel& p = nodes_[0];
    if (promoted_ || p.run != Run::kRunning || p.stalled) return false;
    ClusterPlan shape = plan_.cluster;
    shape.names_shape = in.variant;
    shape.listed = in.target;
    shape.rotate = in.variant / 5;
    step.kind = StepKind::kReload;
    step.node = p.name;
    step.synchronous_standby_names = standby_names(shape, static_cast<int>(scenario_.cluster.nodes.size()) - 1);
    sync_ = sync_ || (!step.synchronous_standby_names->empty() &&
                      scenario_.cluster.synchronous_commit >= SyncCommit::kRemoteWrite);
    return true;
  }

  bool wait(const StepIntent& in, Step& step) {
    step.kind = StepKind::kWait;
    step.duration_ms = 10 * (1 + in.variant % 50);
    return true;
  }

  // --- Recovery (profiles with restore intents only): what a restore may aim at.

  // A point a recovery target may name, and the step that made it.
  struct Ref {
    std::string name;
    size_t step = 0;
  };

  size_t current_step() const { return scenario_.steps.size() - 1; }
  bool primary_running() const { return !promoted_ && nodes_[0].run == Run::kRunning; }

  // A write may be drawn now (Profile::writes_on_paused_primary).
  bool writes_drawable() const {
    if (profile_.writes_on_paused_primary || !walk_) return true;
    const NodeAtStep* target = walk_->find(walk_->primary());
    return target == nullptr || target->run != Run::kPaused;
  }

  // Inserts and updates on a running first primary commit for certain (nothing references
  // customers or orders rows away): they are the transactions an xid target may name.
  void remember_commit(const Step& step) {
    if (pitr_ && primary_running()) commits_.push_back({step.label, current_step()});
  }

  bool any_stalled() const {
    return std::any_of(nodes_.begin(), nodes_.end(), [](const NodeModel& m) { return m.stalled; });
  }
  bool any_replay_paused() const {
    return std::any_of(nodes_.begin(), nodes_.end(), [](const NodeModel& m) { return m.replay_paused; });
  }

  // base_backup, switch_wal, mark and restore_point, each of the running first primary; all
  // but mark flush WAL, which a stalled disk never does.
  bool primary_flushes() const { return primary_running() && !nodes_[0].stalled; }

  bool base_backup(Step& step) {
    if (!primary_flushes()) return false;
    step.kind = StepKind::kBaseBackup;
    step.name = fmt::format("b{}", backups_.size() + 1);
    backups_.push_back({step.name, current_step()});
    return true;
  }

  bool switch_wal(Step& step) {
    if (!primary_flushes()) return false;
    step.kind = StepKind::kSwitchWal;
    return true;
  }

  bool mark(Step& step) {
    if (!primary_running()) return false;
    step.kind = StepKind::kMark;
    step.name = fmt::format("m{}", marks_.size() + 1);
    marks_.push_back({step.name, current_step()});
    return true;
  }

  bool restore_point(Step& step) {
    if (!primary_flushes()) return false;
    step.kind = StepKind::kRestorePoint;
    step.name = fmt::format("rp{}", restore_points_.size() + 1);
    restore_points_.push_back({step.name, current_step()});
    return true;
  }

  // A restore into a new node x1, x2, ... from one of the base backups, to a target made after
  // that backup (the checker refuses one before the backup's end): the target kind is the
  // intent's variant (xid, time, name, lsn, immediate; a kind with no point after the backup
  // gives way to the next), then inclusive or not, then the action (pause or promote).
  bool restore(const StepIntent& in, Step& step) {
    if (backups_.empty()) return false;
    const Ref& backup = backups_[static_cast<size_t>(in.target) % backups_.size()];
    using Kind = RecoveryTarget::Kind;
    static constexpr Kind kKinds[] = {Kind::kXid, Kind::kTime, Kind::kName, Kind::kLsn, Kind::kImmediate};
    const int first = in.variant % 5;
    for (int k = 0; k < 5; ++k) {
      const Kind kind = kKinds[(first + k) % 5];
      if (kind == Kind::kImmediate) {
        step.target.kind = kind;
        break;
      }
      const std::vector<Ref>& refs = kind == Kind::kXid ? commits_ : kind == Kind::kName ? restore_points_ : marks_;
      const auto after = std::find_if(refs.begin(), refs.end(), [&](const Ref& r) { return r.step > backup.step; });
      const size_t count = static_cast<size_t>(refs.end() - after);
      if (count == 0) continue;
      // The latest point first: shrinking the intent moves the target towards the restore.
      const size_t back = static_cast<size_t>(in.target + in.variant / 20) % count;
      step.target.kind = kind;
      step.target.ref = refs[refs.size() - 1 - back].name;
      break;
    }
    step.kind = StepKind::kRestore;
    step.node = fmt::format("x{}", ++restores_);
    step.backup = backup.name;
    step.target.inclusive = (in.variant / 5) % 2 == 0;
    step.target.action = (in.variant / 10) % 2 == 0 ? RecoveryTarget::Action::kPause : RecoveryTarget::Action::kPromote;
    return true;
  }

  // --- Faults: each acts on one node the model allows, or is dropped when none qualifies.

  // The link to the first primary: never the primary itself, never a promoted node.
  // Not a stalled standby before anything was written to it: what it wrote is the point.
  bool partition(const StepIntent& in, Step& step) {
    NodeModel* n = pick_preferring(
        in.target,
        [](const NodeModel& m) { return !m.primary && !m.partitioned && (!m.stalled || m.written_since_stall); },
        [](const NodeModel& m) { return m.stalled || m.os_crashed; });
    if (n == nullptr) return false;
    step.kind = StepKind::kPartition;
    step.direction = in.variant % 4 == 2   ? PartitionDirection::kToStandby
                     : in.variant % 4 == 3 ? PartitionDirection::kToPrimary
                                           : PartitionDirection::kBoth;
    step.node = n->name;
    return true;
  }

  bool heal(const StepIntent& in, Step& step) {
    NodeModel* n = pick(in.target, [](const NodeModel& m) { return m.partitioned; });
    if (n == nullptr) return false;
    step.kind = StepKind::kHeal;
    step.node = n->name;
    return true;
  }

  bool pause(const StepIntent& in, Step& step) {
    NodeModel* n = pick(in.target, [](const NodeModel& m) { return m.run == Run::kRunning && !m.stalled; });
    if (n == nullptr) return false;
    step.kind = StepKind::kPause;
    step.node = n->name;
    return true;
  }

  bool resume(const StepIntent& in, Step& step) {
    NodeModel* n = pick(in.target, [](const NodeModel& m) { return m.run == Run::kPaused; });
    if (n == nullptr) return false;
    step.kind = StepKind::kResume;
    step.node = n->name;
    return true;
  }

  bool crash(const StepIntent& in, Step& step) {
    NodeModel* n = pick(in.target, [](const NodeModel& m) { return m.run != Run::kDown && !m.stalled; });
    if (n == nullptr) return false;
    step.kind = StepKind::kCrash;
    step.node = n->name;
    return true;
  }

  bool stop(const StepIntent& in, Step& step) {
    NodeModel* n = pick(in.target, [](const NodeModel& m) { return m.run == Run::kRunning && !m.stalled; });
    if (n == nullptr) return false;
    step.kind = StepKind::kStop;
    step.node = n->name;
    return true;
  }

  bool start(const StepIntent& in, Step& step) {
    NodeModel* n = pick_preferring(
        in.target, [](const NodeModel& m) { return m.run == Run::kDown; },
        [](const NodeModel& m) { return m.os_crashed; });
    if (n == nullptr) return false;
    step.node = n->name;
    // Half the time a standby whose OS crashed is first cut off from its primary: restarted
    // within reach, it fetches again whatever its crash lost, and shows nothing.
    if (n->os_crashed && !n->primary && !n->partitioned && in.variant % 2 == 0) {
      step.kind = StepKind::kPartition;
      return true;
    }
    step.kind = StepKind::kStart;
    return true;
  }

  bool promote(const StepIntent& in, Step& step) {
    NodeModel* n = pick_preferring(
        in.target, [](const NodeModel& m) { return !m.primary && m.run == Run::kRunning && !m.stalled; },
        [](const NodeModel& m) { return m.os_crashed; });
    if (n == nullptr) return false;
    step.kind = StepKind::kPromote;
    n->promoted = true;
    promoted_ = true;
    step.node = n->name;
    return true;
  }

  // Where commits wait for standbys, mostly a standby's disk: whether what it wrote
  // survives is what synchronous replication's levels differ in.
  bool stall_disk(const StepIntent& in, Step& step) {
    const bool prefer_standby = sync_ && in.variant % 4 != 0;
    NodeModel* n = pick_preferring(
        in.target, [](const NodeModel& m) { return m.run == Run::kRunning && !m.stalled; },
        [prefer_standby](const NodeModel& m) { return !prefer_standby || !m.primary; });
    if (n == nullptr) return false;
    step.kind = StepKind::kStallDisk;
    n->written_since_stall = false;
    step.node = n->name;
    return true;
  }

  // Of a stalled node after a write: without both, an OS crash loses no more than a process crash.
  bool os_crash(const StepIntent& in, Step& step) {
    NodeModel* n = pick(in.target, [](const NodeModel& m) { return m.stalled && m.written_since_stall; });
    if (n == nullptr) return false;
    step.kind = StepKind::kOsCrash;
    n->os_crashed = true;
    step.node = n->name;
    return true;
  }

  // A streaming standby's replay; one draw in eight asks the primary, which refuses (55000).
  bool pause_replay(const StepIntent& in, Step& step) {
    const bool of_primary = in.variant % 8 == 0;
    NodeModel* n = pick(in.target, [of_primary](const NodeModel& m) {
      if (m.run != Run::kRunning || m.stalled) return false;
      return of_primary ? m.primary : !m.primary && !m.upstream.empty() && !m.replay_paused;
    });
    if (n == nullptr) return false;
    step.kind = StepKind::kPauseReplay;
    step.node = n->name;
    return true;
  }

  // Mostly of a paused standby; else of any streaming standby (accepted, changing nothing) or,
  // one draw in eight, of the primary (refused, 55000).
  bool resume_replay(const StepIntent& in, Step& step) {
    const bool of_primary = in.variant % 8 == 0;
    NodeModel* n = pick_preferring(
        in.target,
        [of_primary](const NodeModel& m) {
          if (m.run != Run::kRunning || m.stalled) return false;
          return of_primary ? m.primary : !m.primary && !m.upstream.empty();
        },
        [](const NodeModel& m) { return m.replay_paused; });
    if (n == nullptr) return false;
    step.kind = StepKind::kResumeReplay;
    step.node = n->name;
    return true;
  }

  // --- Sessions: at most two open at once, each on the primary it began on.
  struct OpenSession {
    std::string label;
    std::string node;
    bool lost = false;  // Its node crashed or stopped since the begin: its commit fails.
  };
  bool session_paused(size_t which) const {
    const NodeAtStep* n = walk_->find(sessions_[which].node);
    return n != nullptr && n->paused();
  }

  // Begins a session on the running current primary (when fewer than two are open and the draw
  // says so, or none is open), else acts on an open one: an insert of a customer (nothing
  // references it, so it never fails on a live session), a commit, now and then a rollback.
  bool session(const StepIntent& in, Step& step) {
    if (statement_due_) return statement(sessions_.size() - 1, step);
    if (sessions_.empty() || (sessions_.size() < 2 && in.variant % 4 == 0)) {
      const NodeAtStep* p = walk_->find(walk_->primary());
      if (p == nullptr || p->run != Run::kRunning || p->stalled || !p->primary) return false;
      step.kind = StepKind::kBegin;
      step.label = next_label();
      sessions_.push_back({step.label, walk_->primary(), false});
      statement_due_ = true;
      return true;
    }
    const size_t which = static_cast<size_t>(in.target) % sessions_.size();
    if (session_paused(which)) return false;  // Nothing reaches its node (the checker's rule).
    if (in.variant % 4 == 3) return end_session(which, step, in.variant % 16 != 3);
    return statement(which, step);
  }

  bool statement(size_t which, Step& step) {
    statement_due_ = false;
    step.kind = StepKind::kInsert;
    step.label = next_label();
    step.session = sessions_[which].label;
    step.table = "customers";
    step.values = {{"firstname", fmt::format("Gen{}", labels_)},
                   {"lastname", "Session"},
                   {"email", fmt::format("{}@example.com", step.label)}};
    return true;
  }

  bool end_session(size_t which, Step& step, bool commit) {
    const OpenSession o = sessions_[which];
    sessions_.erase(sessions_.begin() + static_cast<std::ptrdiff_t>(which));
    step.kind = commit ? StepKind::kCommit : StepKind::kRollback;
    step.label = o.label;
    if (!commit) return true;
    written_.push_back(o.label);  // Its commit may wait: cancel and terminate may name it.
    for (NodeModel& n : nodes_) n.written_since_stall |= n.stalled;
    if (!o.lost) remember_commit(step);
    return true;
  }

  const Plan& plan_;
  const Profile& profile_;
  Scenario scenario_;
  std::optional<ClusterState> walk_;  // Over scenario_, from build_cluster on.
  std::vector<NodeModel> nodes_;
  std::vector<std::string> written_;
  int labels_ = 0;
  // Recovery bookkeeping, kept only when the profile draws restores.
  const bool pitr_ = profile_.weights[static_cast<size_t>(Intent::kRestore)] > 0;
  std::vector<Ref> backups_, commits_, marks_, restore_points_;
  int restores_ = 0;
  bool sync_ = false;      // Commits may wait for a standby.
  bool promoted_ = false;  // Some standby was promoted: who streams from whom is the model's call.
  std::vector<OpenSession> sessions_;
  bool statement_due_ = false;  // A begin was just drawn: its first statement follows.
};

}  // namespace

const char* to_string(Intent intent) {
  static constexpr const char* kNames[kIntentCount] = {
      "insert",      "update",     "delete",       "catchup",       "wait",    "partition",  "heal",
      "pause",       "resume",     "crash",        "start",         "stop",    "promote",    "cancel",
      "base_backup", "switch_wal", "mark",         "restore_point", "restore", "stall_disk", "os_crash",
      "burst",       "terminate",  "pause_replay", "resume_replay", "reload",  "session"};
  return kNames[static_cast<int>(intent)];
}

const Profile& general_profile() {
  static const Profile profile{
      "general",
      {SyncCommit::kOn, SyncCommit::kRemoteApply, SyncCommit::kRemoteWrite, SyncCommit::kLocal, SyncCommit::kOff},
      NamesShape::kAny,
      //  ins upd del cat wait part heal pause res crash start stop prom cancel
      {{24, 5, 4, 8, 5, 9, 6, 5, 4, 7, 5, 2, 7, 5}}};
  return profile;
}

const Profile& general_disk_profile() {
  static const Profile profile = [] {
    Profile p = general_profile();
    p.name = "general-disk";
    p.weights[static_cast<size_t>(Intent::kStallDisk)] = 4;
    p.weights[static_cast<size_t>(Intent::kOsCrash)] = 4;
    p.weights[static_cast<size_t>(Intent::kTerminate)] = 3;
    p.weights[static_cast<size_t>(Intent::kPauseReplay)] = 6;
    p.weights[static_cast<size_t>(Intent::kResumeReplay)] = 12;
    p.weights[static_cast<size_t>(Intent::kReload)] = 2;
    p.weights[static_cast<size_t>(Intent::kSession)] = 16;
    p.link_latencies = true;
    // Delayed standbys (issue 17's replay control): two delays that run out within a scenario
    // and one that does not (catchups then name the other standbys).
    p.apply_delays_ms = {100, 400, 600000};
    return p;
  }();
  return profile;
}

Scenario realize(const Plan& plan, const Profile& profile, const std::string& name, StepText text) {
  return Realizer(plan, profile).run(name, text);
}

namespace {

// The plan's own PRNG is the simulator's (sim::Prng): a fixed algorithm, so a seed gives the
// same plan with every standard library (rapidcheck's integer generators are not documented to
// keep their distribution across versions, and are slower than this by two orders), and draws
// without modulo bias. This adapter only speaks the plan's int fields.
class PlanRandom {
 public:
  explicit PlanRandom(uint64_t seed) : prng_(seed) {}
  uint64_t next() { return prng_.next(); }
  // A number in [0, n). REQUIRES: n > 0.
  int uniform(int n) {
    REPLSIM_ASSERT(n > 0, "a plan draw needs at least one value");
    return static_cast<int>(prng_.uniform(static_cast<uint64_t>(n)));
  }

 private:
  sim::Prng prng_;
};

template <typename T, typename F>
rc::Seq<T> shrink_field(const T& whole, int value, F set) {
  return rc::seq::map(rc::shrink::towards(value, 0), [whole, set](int v) {
    T out = whole;
    set(out, v);
    return out;
  });
}

rc::Seq<StepIntent> shrink_intent(const StepIntent& s) {
  return rc::seq::concat(shrink_field(s, s.kind, [](StepIntent& x, int v) { x.kind = v; }),
                         shrink_field(s, s.target, [](StepIntent& x, int v) { x.target = v; }),
                         shrink_field(s, s.variant, [](StepIntent& x, int v) { x.variant = v; }));
}

rc::Seq<Plan> shrink_cluster(const Plan& p) {
  const ClusterPlan& c = p.cluster;
  return rc::seq::concat(rc::seq::map(rc::shrink::towards(c.standbys, 1),
                                      [p](int v) {
                                        Plan q = p;
                                        q.cluster.standbys = v;
                                        return q;
                                      }),
                         shrink_field(p, c.level, [](Plan& q, int v) { q.cluster.level = v; }),
                         shrink_field(p, c.names_shape, [](Plan& q, int v) { q.cluster.names_shape = v; }),
                         shrink_field(p, c.listed, [](Plan& q, int v) { q.cluster.listed = v; }),
                         shrink_field(p, c.rotate, [](Plan& q, int v) { q.cluster.rotate = v; }),
                         shrink_field(p, c.num_sync, [](Plan& q, int v) { q.cluster.num_sync = v; }),
                         shrink_field(p, c.far, [](Plan& q, int v) { q.cluster.far = v; }),
                         shrink_field(p, c.delayed, [](Plan& q, int v) { q.cluster.delayed = v; }));
}

}  // namespace

Plan draw_plan(uint64_t seed, int max_steps, int exact_steps) {
  PlanRandom r(seed);
  Plan plan;
  plan.cluster.standbys = 1 + r.uniform(3);
  plan.cluster.level = r.uniform(60);
  plan.cluster.names_shape = r.uniform(60);
  plan.cluster.listed = r.uniform(7);
  plan.cluster.rotate = r.uniform(6);
  plan.cluster.num_sync = r.uniform(6);
  // Swarm testing: about one run in three disables a random subset of intent kinds.
  plan.swarm = r.uniform(3) == 0 ? static_cast<uint32_t>(r.next() & ((1u << kSwarmIntents) - 1)) : 0u;
  const int count = exact_steps > 0 ? exact_steps : r.uniform(std::max(max_steps, 0) + 1);
  plan.steps.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) plan.steps.push_back({r.uniform(kWeightScale), r.uniform(6), r.uniform(60)});
  plan.cluster.far = r.uniform(12);
  plan.cluster.delayed = r.uniform(12);
  return plan;
}

rc::Seq<Plan> shrink_plan(const Plan& plan) {
  // Fewest steps first (rapidcheck removes chunks, large ones first), then the cluster, then
  // each remaining intent towards an insert on the first eligible node.
  return rc::seq::concat(
      rc::seq::map(rc::shrink::removeChunks(plan.steps),
                   [plan](std::vector<StepIntent> steps) {
                     Plan q = plan;
                     q.steps = std::move(steps);
                     return q;
                   }),
      rc::seq::map(rc::shrink::towards<uint32_t>(plan.swarm, 0u),
                   [plan](uint32_t v) {
                     Plan q = plan;
                     q.swarm = v;
                     return q;
                   }),
      shrink_cluster(plan),
      rc::seq::map(rc::shrink::eachElement(plan.steps, &shrink_intent), [plan](std::vector<StepIntent> steps) {
        Plan q = plan;
        q.steps = std::move(steps);
        return q;
      }));
}

rc::Shrinkable<Plan> shrinkable_plan(uint64_t seed, int max_steps, int exact_steps) {
  return rc::shrinkable::shrinkRecur(draw_plan(seed, max_steps, exact_steps), &shrink_plan);
}

rc::Gen<Plan> gen_plan(int max_steps, int exact_steps) {
  return rc::Gen<Plan>([max_steps, exact_steps](const rc::Random& random, int) {
    return shrinkable_plan(rc::Random(random).next(), max_steps, exact_steps);
  });
}

rc::Gen<Scenario> gen_scenario(const Profile& profile, int max_steps) {
  return rc::gen::map(gen_plan(max_steps), [profile](const Plan& plan) { return realize(plan, profile); });
}

}  // namespace replsim::campaign
