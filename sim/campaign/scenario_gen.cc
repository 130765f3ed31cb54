#include "campaign/scenario_gen.h"

#include <fmt/format.h>

#include <algorithm>

namespace replsim {
// Defined in verifier/vocab/scenario_checker.cc (the text the parser gives each step); the
// simulator prints it in timelines, so realised steps carry the same text a file would.
std::string describe_step(const Step& step);
}  // namespace replsim

namespace replsim::campaign {
namespace {

enum class Run { kRunning, kPaused, kDown };

// The plain model that keeps generation legal: the same rules as scenario_checker.cc.
struct NodeModel {
  std::string name;
  bool primary = false;
  bool promoted = false;
  Run run = Run::kRunning;
  bool partitioned = false;
};

// The seed data set's row counts: updates and deletes name rows that exist at the start
// (a later delete may have removed them; then the statement simply changes nothing).
constexpr int kSeedCustomers = 6;
constexpr int kSeedOrders = 4;
constexpr int kSeedOrderItems = 6;

class Realizer {
 public:
  Realizer(const Plan& plan, const Profile& profile) : plan_(plan), profile_(profile) {}

  Scenario run(const std::string& name) {
    scenario_.name = name;
    build_cluster();
    for (const StepIntent& intent : plan_.steps) {
      Step step;
      if (!realize(intent, step)) continue;
      step.text = describe_step(step);
      scenario_.steps.push_back(std::move(step));
    }
    return std::move(scenario_);
  }

 private:
  void build_cluster() {
    const ClusterPlan& c = plan_.cluster;
    ClusterSpec& spec = scenario_.cluster;
    const int standbys = 1 + std::clamp(c.standbys - 1, 0, 2);
    spec.nodes.push_back({"primary", NodeRole::kPrimary, false, {}});
    nodes_.push_back({"primary", true, false, Run::kRunning, false});
    for (int i = 1; i <= standbys; ++i) {
      const std::string n = fmt::format("s{}", i);
      spec.nodes.push_back({n, NodeRole::kStandby, false, {}});
      nodes_.push_back({n, false, false, Run::kRunning, false});
    }
    spec.synchronous_commit = profile_.levels[static_cast<size_t>(c.level) % profile_.levels.size()];
    spec.synchronous_standby_names = standby_names(standbys);
    sync_ = !spec.synchronous_standby_names.empty() && spec.synchronous_commit >= SyncCommit::kRemoteWrite;
  }

  // 0 empty, 1 a plain list, 2 FIRST n (...), 3 ANY n (...), 4 '*'.
  std::string standby_names(int standbys) const {
    const ClusterPlan& c = plan_.cluster;
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
      return shape == 1 ? listed[0] : fmt::format("{} {} ({})", shape == 2 ? "FIRST" : "ANY", count, fmt::join(listed, ", "));
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
      const bool disabled = i != 0 && (plan_.swarm & (1u << i)) != 0;
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

  template <typename Pred>
  NodeModel* pick(int target, Pred pred) {
    std::vector<NodeModel*> eligible;
    for (auto& n : nodes_)
      if (pred(n)) eligible.push_back(&n);
    if (eligible.empty()) return nullptr;
    return eligible[static_cast<size_t>(target) % eligible.size()];
  }

  std::string next_label() { return fmt::format("t{}", ++labels_); }

  bool realize(const StepIntent& in, Step& step) {
    const Intent kind = kind_of(in.kind);
    switch (kind) {
      case Intent::kInsert: return insert(in, step);
      case Intent::kUpdate: return update(in, step);
      case Intent::kDelete: return erase(in, step);
      case Intent::kCatchup: return catchup(in, step);
      case Intent::kWait:
        step.kind = StepKind::kWait;
        step.duration_ms = 10 * (1 + in.variant % 50);
        return true;
      case Intent::kCancel: return cancel(in, step);
      default: return fault(kind, in, step);
    }
  }

  bool insert(const StepIntent& in, Step& step) {
    step.kind = StepKind::kInsert;
    step.label = next_label();
    if (in.variant % 3 != 2) {
      step.table = "customers";
      step.values = {{"firstname", fmt::format("Gen{}", labels_)}, {"lastname", "Campaign"},
                     {"email", fmt::format("{}@example.com", step.label)}};
    } else {
      step.table = "orders";
      step.values = {{"customerid", fmt::format("{}", 1 + in.target % kSeedCustomers)}, {"status", "new"}};
    }
    written_.push_back(step.label);
    return true;
  }

  bool update(const StepIntent& in, Step& step) {
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
    written_.push_back(step.label);
    return true;
  }

  // Mostly order items (nothing references them); sometimes an order, which fails while
  // its items reference it: a failed transaction for the phantom-row checks.
  bool erase(const StepIntent& in, Step& step) {
    step.kind = StepKind::kDelete;
    step.label = next_label();
    if (in.variant % 4 != 3) {
      step.table = "orderitems";
      step.where = {{"id", fmt::format("{}", 1 + in.target % kSeedOrderItems)}};
    } else {
      step.table = "orders";
      step.where = {{"id", fmt::format("{}", 1 + in.target % kSeedOrders)}};
    }
    written_.push_back(step.label);
    return true;
  }

  // `catchup` of one standby only while it certainly streams from the first primary;
  // otherwise the cluster-wide form, which waits for reachable standbys only.
  bool catchup(const StepIntent& in, Step& step) {
    step.kind = StepKind::kCatchup;
    if (in.variant % 2 == 0 || promoted_ || nodes_[0].run != Run::kRunning) return true;
    NodeModel* n = pick(in.target, [](const NodeModel& m) {
      return !m.primary && m.run == Run::kRunning && !m.partitioned;
    });
    if (n != nullptr) step.node = n->name;
    return true;
  }

  // Cancels a write that may be waiting for synchronous replication (the most recent
  // ones first): cancelling a finished commit is a no-op that teaches nothing.
  bool cancel(const StepIntent& in, Step& step) {
    if (!sync_ || written_.empty()) return false;
    const size_t recent = std::min<size_t>(written_.size(), 3);
    step.kind = StepKind::kCancel;
    step.label = written_[written_.size() - 1 - static_cast<size_t>(in.target) % recent];
    return true;
  }

  bool fault(Intent kind, const StepIntent& in, Step& step) {
    NodeModel* n = nullptr;
    switch (kind) {
      case Intent::kPartition:
        // The link to the first primary: never the primary itself, never a promoted node.
        n = pick(in.target, [](const NodeModel& m) { return !m.primary && !m.partitioned; });
        if (n == nullptr) return false;
        step.kind = StepKind::kPartition;
        step.direction = in.variant % 4 == 2 ? PartitionDirection::kToStandby
                       : in.variant % 4 == 3 ? PartitionDirection::kToPrimary : PartitionDirection::kBoth;
        n->partitioned = true;
        break;
      case Intent::kHeal:
        n = pick(in.target, [](const NodeModel& m) { return m.partitioned; });
        if (n == nullptr) return false;
        step.kind = StepKind::kHeal;
        n->partitioned = false;
        break;
      case Intent::kPause:
        n = pick(in.target, [](const NodeModel& m) { return m.run == Run::kRunning; });
        if (n == nullptr) return false;
        step.kind = StepKind::kPause;
        n->run = Run::kPaused;
        break;
      case Intent::kResume:
        n = pick(in.target, [](const NodeModel& m) { return m.run == Run::kPaused; });
        if (n == nullptr) return false;
        step.kind = StepKind::kResume;
        n->run = Run::kRunning;
        break;
      case Intent::kCrash:
        n = pick(in.target, [](const NodeModel& m) { return m.run != Run::kDown; });
        if (n == nullptr) return false;
        step.kind = StepKind::kCrash;
        n->run = Run::kDown;
        break;
      case Intent::kStop:
        n = pick(in.target, [](const NodeModel& m) { return m.run == Run::kRunning; });
        if (n == nullptr) return false;
        step.kind = StepKind::kStop;
        n->run = Run::kDown;
        break;
      case Intent::kStart:
        n = pick(in.target, [](const NodeModel& m) { return m.run == Run::kDown; });
        if (n == nullptr) return false;
        step.kind = StepKind::kStart;
        n->run = Run::kRunning;
        break;
      case Intent::kPromote:
        n = pick(in.target, [](const NodeModel& m) { return !m.primary && m.run == Run::kRunning; });
        if (n == nullptr) return false;
        step.kind = StepKind::kPromote;
        n->primary = n->promoted = true;
        promoted_ = true;
        break;
      default: return false;
    }
    step.node = n->name;
    return true;
  }

  const Plan& plan_;
  const Profile& profile_;
  Scenario scenario_;
  std::vector<NodeModel> nodes_;
  std::vector<std::string> written_;
  int labels_ = 0;
  bool sync_ = false;      // Commits may wait for a standby.
  bool promoted_ = false;  // Some standby was promoted: who streams from whom is the model's call.
};

}  // namespace

const char* to_string(Intent intent) {
  static constexpr const char* kNames[kIntentCount] = {"insert", "update", "delete", "catchup", "wait",
                                                       "partition", "heal", "pause", "resume", "crash",
                                                       "start", "stop", "promote", "cancel"};
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

Scenario realize(const Plan& plan, const Profile& profile, const std::string& name) {
  return Realizer(plan, profile).run(name);
}

rc::Gen<Plan> gen_plan(const Profile& profile, int max_steps, int exact_steps) {
  (void)profile;  // The plan is profile-free; realize() interprets it.
  // Fields are drawn at rapidcheck's nominal size so their distribution is uniform; the
  // container's size decides only how many intents there are.
  const rc::Gen<StepIntent> intent = rc::gen::resize(
      100, rc::gen::build<StepIntent>(rc::gen::set(&StepIntent::kind, rc::gen::inRange(0, kWeightScale)),
                                      rc::gen::set(&StepIntent::target, rc::gen::inRange(0, 6)),
                                      rc::gen::set(&StepIntent::variant, rc::gen::inRange(0, 60))));
  const rc::Gen<ClusterPlan> cluster = rc::gen::resize(
      100, rc::gen::build<ClusterPlan>(rc::gen::set(&ClusterPlan::standbys, rc::gen::inRange(1, 4)),
                                       rc::gen::set(&ClusterPlan::level, rc::gen::inRange(0, 60)),
                                       rc::gen::set(&ClusterPlan::names_shape, rc::gen::inRange(0, 60)),
                                       rc::gen::set(&ClusterPlan::listed, rc::gen::inRange(0, 7)),
                                       rc::gen::set(&ClusterPlan::rotate, rc::gen::inRange(0, 6)),
                                       rc::gen::set(&ClusterPlan::num_sync, rc::gen::inRange(0, 6))));
  // Swarm testing: about one run in three disables a random subset of fault kinds.
  const rc::Gen<uint32_t> swarm = rc::gen::resize(
      100, rc::gen::map(rc::gen::pair(rc::gen::inRange(0, 3), rc::gen::inRange<uint32_t>(0, 1u << kIntentCount)),
                        [](const std::pair<int, uint32_t>& p) { return p.first == 0 ? p.second : 0u; }));
  const rc::Gen<std::vector<StepIntent>> steps =
      exact_steps > 0 ? rc::gen::container<std::vector<StepIntent>>(static_cast<size_t>(exact_steps), intent)
                      : rc::gen::resize(max_steps, rc::gen::container<std::vector<StepIntent>>(intent));
  return rc::gen::build<Plan>(rc::gen::set(&Plan::cluster, cluster), rc::gen::set(&Plan::swarm, swarm),
                              rc::gen::set(&Plan::steps, steps));
}

rc::Gen<Scenario> gen_scenario(const Profile& profile, int max_steps) {
  return rc::gen::map(gen_plan(profile, max_steps), [profile](const Plan& plan) { return realize(plan, profile); });
}

}  // namespace replsim::campaign
