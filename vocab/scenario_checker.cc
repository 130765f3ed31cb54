// The semantic half of reading a scenario: walks the steps through the nodes' states
// and rejects what cannot happen (promote a primary, resume a node that is not paused,
// restore from a backup that does not exist, expect a label no step wrote, ...).
#include <fmt/format.h>

#include <map>
#include <set>

#include "vocab/scenario.h"
#include "vocab/scenario_parser.h"
#include "vocab/status.h"

namespace replsim {
namespace {

enum class Run { kRunning, kPaused, kDown, kWiped };

struct NodeState {
  bool primary = false;
  Run run = Run::kRunning;
  bool partitioned = false;
  const Step* stalled = nullptr;  // The stall_disk step whose stall still holds.
};

class Checker {
 public:
  explicit Checker(const Scenario& s) : s_(s) {
    for (const auto& n : s.cluster.nodes) nodes_[n.name] = NodeState{n.role == NodeRole::kPrimary};
    if (!s.cluster.nodes.empty()) primary_ = s.cluster.nodes[0].name;
  }

  Status check() {
    for (size_t i = 0; i < s_.steps.size(); ++i) {
      if (Status st = check_step(s_.steps[i], static_cast<int>(i)); !st.ok()) return st;
    }
    for (const auto& [name, n] : nodes_) {
      if (n.stalled != nullptr)
        return error(n.stalled->pos, fmt::format("the disk of '{}' stalls here and never recovers: only os_crash: {} "
                                                 "ends a stall (a clean end would hang in fsync)", name, name));
    }
    for (const auto& e : s_.expectations) {
      if (Status st = check_expectation(e); !st.ok()) return st;
    }
    return Status::Ok();
  }

 private:
  Status error(SourcePos pos, const std::string& message) const {
    return Status::InvalidInput(fmt::format("{}:{}:{}: {}", s_.file, pos.line, pos.column, message));
  }

  Status need_node(const Step& step, NodeState** out) {
    auto it = nodes_.find(step.node);
    if (it == nodes_.end()) return error(step.pos, fmt::format("unknown node '{}' in step '{}'", step.node, to_string(step.kind)));
    *out = &it->second;
    return Status::Ok();
  }

  Status check_write(const Step& step, int index) {
    if (!labels_.emplace(step.label, index).second)
      return error(step.pos, fmt::format("transaction label '{}' is used twice", step.label));
    if (!step.node.empty()) {
      NodeState* n = nullptr;
      if (Status st = need_node(step, &n); !st.ok()) return st;
    }
    return Status::Ok();
  }

  Status check_name(const Step& step, std::map<std::string, int>& names, int index, const char* what) {
    if (!names.emplace(step.name, index).second)
      return error(step.pos, fmt::format("{} '{}' is defined twice", what, step.name));
    return Status::Ok();
  }

  Status check_fault(const Step& step) {
    NodeState* n = nullptr;
    if (Status st = need_node(step, &n); !st.ok()) return st;
    const std::string verb = to_string(step.kind);
    switch (step.kind) {
      case StepKind::kPause:
        if (n->run != Run::kRunning) return error(step.pos, fmt::format("cannot pause '{}': it is not running", step.node));
        n->run = Run::kPaused;
        break;
      case StepKind::kResume:
        if (n->run != Run::kPaused) return error(step.pos, fmt::format("cannot resume '{}': it is not paused", step.node));
        n->run = Run::kRunning;
        break;
      case StepKind::kCrash:
        if (n->run != Run::kRunning && n->run != Run::kPaused)
          return error(step.pos, fmt::format("cannot crash '{}': it is not running", step.node));
        n->run = Run::kDown;
        break;
      case StepKind::kStop:
        if (n->run != Run::kRunning) return error(step.pos, fmt::format("cannot stop '{}': it is not running", step.node));
        n->run = Run::kDown;
        break;
      case StepKind::kStart:
        if (n->run != Run::kDown)
          return error(step.pos, fmt::format("cannot start '{}': it is {}", step.node, n->run == Run::kWiped ? "wiped (restore it instead)" : "already running"));
        n->run = Run::kRunning;
        break;
      case StepKind::kWipe:
        if (n->run != Run::kDown) return error(step.pos, fmt::format("cannot wipe '{}': stop or crash it first", step.node));
        n->run = Run::kWiped;
        break;
      case StepKind::kPromote:
        if (n->primary) return error(step.pos, fmt::format("cannot promote '{}': it is already a primary", step.node));
        if (n->run != Run::kRunning) return error(step.pos, fmt::format("cannot promote '{}': it is not running", step.node));
        n->primary = true;
        primary_ = step.node;
        break;
      case StepKind::kPartition:
        if (n->primary && step.node == s_.cluster.nodes[0].name)
          return error(step.pos, fmt::format("partition takes a standby (the link to its primary); '{}' is the primary", step.node));
        if (n->partitioned) return error(step.pos, fmt::format("'{}' is already partitioned", step.node));
        n->partitioned = true;
        break;
      case StepKind::kHeal:
        if (!n->partitioned) return error(step.pos, fmt::format("cannot heal '{}': it is not partitioned", step.node));
        n->partitioned = false;
        break;
      default:
        return error(step.pos, fmt::format("internal: '{}' is not a fault", verb));
    }
    return Status::Ok();
  }

  // A naive copy may be taken in several steps (the parts from different moments); only a
  // complete copy can be restored, and it has no WAL archive position to aim recovery at.
  struct NaiveCopy {
    std::string source;
    std::set<std::string> parts;
  };

  Status check_naive_copy(const Step& step) {
    const std::string source = step.node.empty() ? primary_ : step.node;
    auto node = nodes_.find(source);
    if (node == nodes_.end()) return error(step.pos, fmt::format("unknown node '{}' in step 'naive_copy'", source));
    if (!node->second.primary || node->second.run != Run::kRunning)
      return error(step.pos, fmt::format("naive_copy copies a running primary's data directory; '{}' is not one", source));
    if (backups_.count(step.name)) return error(step.pos, fmt::format("'{}' already names a base backup", step.name));
    auto [it, fresh] = copies_.try_emplace(step.name, NaiveCopy{source, {}});
    if (!fresh && it->second.source != source)
      return error(step.pos, fmt::format("naive copy '{}' was started from '{}', not '{}'", step.name, it->second.source, source));
    for (const std::string& part : step.files) {
      if (!it->second.parts.insert(part).second)
        return error(step.pos, fmt::format("naive copy '{}' already holds part '{}'", step.name, part));
    }
    return Status::Ok();
  }

  Status check_restore_copy(const Step& step, const NaiveCopy& copy) {
    if (copy.parts.size() != naive_copy_parts().size())
      return error(step.pos, fmt::format("naive copy '{}' is incomplete: it lacks some of {}", step.backup,
                                         fmt::join(naive_copy_parts(), ", ")));
    if (step.target.kind != RecoveryTarget::Kind::kNone)
      return error(step.pos, fmt::format("'{}' is a naive copy: it starts with crash recovery and takes no recovery target", step.backup));
    nodes_[step.node] = NodeState{true, Run::kRunning, false};
    return Status::Ok();
  }

  Status check_archive(const Step& step) {
    if (!s_.cluster.archive_mode) return error(step.pos, fmt::format("{} needs cluster archive_mode: true", to_string(step.kind)));
    const bool breaking = step.kind == StepKind::kBreakArchive;
    if (breaking == archive_broken_)
      return error(step.pos, breaking ? "the archive is already broken" : "cannot repair the archive: it is not broken");
    archive_broken_ = breaking;
    return Status::Ok();
  }

  Status check_checkpoint(const Step& step) {
    const std::string target = step.node.empty() ? primary_ : step.node;
    auto node = nodes_.find(target);
    if (node == nodes_.end()) return error(step.pos, fmt::format("unknown node '{}' in step 'checkpoint'", target));
    if (!node->second.primary || node->second.run != Run::kRunning)
      return error(step.pos, fmt::format("checkpoint takes a running primary; '{}' is not one", target));
    return Status::Ok();
  }

  Status check_restore(const Step& step, int index) {
    auto it = nodes_.find(step.node);
    if (it != nodes_.end() && it->second.run != Run::kWiped)
      return error(step.pos, fmt::format("cannot restore into '{}': the node exists (wipe it first, or name a new node)", step.node));
    if (auto copy = copies_.find(step.backup); copy != copies_.end()) return check_restore_copy(step, copy->second);
    auto backup = backups_.find(step.backup);
    if (backup == backups_.end())
      return error(step.pos, fmt::format("no base backup or naive copy named '{}' before this step", step.backup));
    const RecoveryTarget& t = step.target;
    using Kind = RecoveryTarget::Kind;
    int ref_step = -1;
    if (t.kind == Kind::kTime) {
      if (!marks_.count(t.ref)) return error(step.pos, fmt::format("recovery target time '{}' is not a mark defined before this step", t.ref));
      ref_step = marks_[t.ref];
    } else if (t.kind == Kind::kXid) {
      if (!labels_.count(t.ref)) return error(step.pos, fmt::format("recovery target xid '{}' is not a transaction before this step", t.ref));
      ref_step = labels_[t.ref];
    } else if (t.kind == Kind::kLsn) {
      if (marks_.count(t.ref)) ref_step = marks_[t.ref];
      else if (labels_.count(t.ref)) ref_step = labels_[t.ref];
      else return error(step.pos, fmt::format("recovery target lsn '{}' is neither a mark nor a transaction before this step", t.ref));
    } else if (t.kind == Kind::kName) {
      if (!restore_points_.count(t.ref)) return error(step.pos, fmt::format("unknown restore point '{}'", t.ref));
      ref_step = restore_points_[t.ref];
    }
    if (ref_step >= 0 && ref_step < backup->second)
      return error(step.pos, fmt::format("recovery target '{}' lies before the end of base backup '{}'", t.ref, step.backup));
    NodeState restored;
    restored.primary = t.action == RecoveryTarget::Action::kPromote;
    restored.run = t.action == RecoveryTarget::Action::kShutdown ? Run::kDown : Run::kRunning;
    nodes_[step.node] = restored;
    (void)index;
    return Status::Ok();
  }

  // The node a step acts on: its own, or the current primary for steps that default to it.
  std::string acted_on(const Step& step) const {
    if (!step.node.empty()) return step.node;
    switch (step.kind) {
      case StepKind::kSwitchWal: case StepKind::kRestorePoint: case StepKind::kCheckpoint:
      case StepKind::kBaseBackup: case StepKind::kNaiveCopy:
        return primary_;
      default: return "";
    }
  }

  // A stalled disk never completes an fsync: every step that needs a flush of that node, or
  // waits for what only its flush would release, would hang (docs/model.md "Disk stalls").
  Status check_stalls(const Step& step) {
    switch (step.kind) {
      case StepKind::kCatchup: case StepKind::kCheckLag: case StepKind::kCancel:
        for (const auto& [name, n] : nodes_) {
          if (n.stalled != nullptr)
            return error(step.pos, fmt::format("{} while the disk of '{}' is stalled could wait forever: os_crash it first",
                                               to_string(step.kind), name));
        }
        return Status::Ok();
      case StepKind::kInsert: case StepKind::kUpdate: case StepKind::kDelete: case StepKind::kTruncate:
      case StepKind::kMark: case StepKind::kWait: case StepKind::kPartition: case StepKind::kHeal:
      case StepKind::kOsCrash: case StepKind::kRestore: case StepKind::kBreakArchive: case StepKind::kRepairArchive:
        return Status::Ok();
      default: break;
    }
    auto it = nodes_.find(acted_on(step));
    if (it == nodes_.end() || it->second.stalled == nullptr) return Status::Ok();
    return error(step.pos, fmt::format("cannot {} '{}': its disk is stalled (line {}), so it would hang in fsync; only "
                                       "os_crash: {} ends a stall", to_string(step.kind), it->first,
                                       it->second.stalled->pos.line, it->first));
  }

  Status check_disk(const Step& step) {
    NodeState* n = nullptr;
    if (Status st = need_node(step, &n); !st.ok()) return st;
    if (step.kind == StepKind::kStallDisk) {
      if (n->run != Run::kRunning) return error(step.pos, fmt::format("cannot stall the disk of '{}': it is not running", step.node));
      n->stalled = &step;
      return Status::Ok();
    }
    if (n->run != Run::kRunning && n->run != Run::kPaused)
      return error(step.pos, fmt::format("cannot os_crash '{}': it is not running", step.node));
    n->run = Run::kDown;
    n->stalled = nullptr;
    return Status::Ok();
  }

  Status check_step(const Step& step, int index) {
    if (Status st = check_stalls(step); !st.ok()) return st;
    NodeState* n = nullptr;
    switch (step.kind) {
      case StepKind::kInsert: case StepKind::kUpdate: case StepKind::kDelete: case StepKind::kTruncate:
        return check_write(step, index);
      case StepKind::kMark: return check_name(step, marks_, index, "mark");
      case StepKind::kCheckLag:
        if (Status st = check_name(step, lag_checks_, index, "lag check"); !st.ok()) return st;
        if (!step.node.empty()) return need_node(step, &n);
        if (s_.cluster.nodes.size() != 2) return error(step.pos, "check_lag needs 'node:' when there is not exactly one standby");
        return Status::Ok();
      case StepKind::kCatchup: case StepKind::kSwitchWal:
        return step.node.empty() ? Status::Ok() : need_node(step, &n);
      case StepKind::kWait: return Status::Ok();
      case StepKind::kCancel:
        if (!labels_.count(step.label)) return error(step.pos, fmt::format("cannot cancel '{}': no earlier step wrote it", step.label));
        return Status::Ok();
      case StepKind::kBaseBackup:
        if (!step.node.empty()) {
          if (Status st = need_node(step, &n); !st.ok()) return st;
          if (n->run != Run::kRunning) return error(step.pos, fmt::format("cannot back up '{}': it is not running", step.node));
        }
        if (copies_.count(step.name)) return error(step.pos, fmt::format("'{}' already names a naive copy", step.name));
        return check_name(step, backups_, index, "base backup");
      case StepKind::kRestorePoint: return check_name(step, restore_points_, index, "restore point");
      case StepKind::kRestore: return check_restore(step, index);
      case StepKind::kNaiveCopy: return check_naive_copy(step);
      case StepKind::kCheckpoint: return check_checkpoint(step);
      case StepKind::kBreakArchive: case StepKind::kRepairArchive: return check_archive(step);
      case StepKind::kStallDisk: case StepKind::kOsCrash: return check_disk(step);
      default: return check_fault(step);
    }
  }

  Status check_expectation(const Expectation& e) {
    if (!e.node.empty() && !nodes_.count(e.node)) return error(e.pos, fmt::format("unknown node '{}'", e.node));
    switch (e.kind) {
      case ExpectKind::kRows: return Status::Ok();
      case ExpectKind::kLag:
        if (!lag_checks_.count(e.name)) return error(e.pos, fmt::format("no check_lag step named '{}'", e.name));
        return Status::Ok();
      case ExpectKind::kError: return Status::Ok();
      default:
        if (!labels_.count(e.label)) return error(e.pos, fmt::format("no step wrote a transaction labelled '{}'", e.label));
        return Status::Ok();
    }
  }

  const Scenario& s_;
  std::map<std::string, NodeState> nodes_;
  std::string primary_;
  std::map<std::string, int> labels_, marks_, lag_checks_, backups_, restore_points_;
  std::map<std::string, NaiveCopy> copies_;
  bool archive_broken_ = false;
};

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

// One line per step, in the scenario's own words, for timelines and generated files.
std::string describe_step(const Step& step) {
  const std::string on = step.node.empty() ? "" : " on " + step.node;
  switch (step.kind) {
    case StepKind::kInsert: return fmt::format("insert {}: {} ({}){}", step.label, step.table, pairs(step.values), on);
    case StepKind::kUpdate:
      return fmt::format("update {}: {} set {} where {}{}", step.label, step.table, pairs(step.values), pairs(step.where), on);
    case StepKind::kDelete: return fmt::format("delete {}: {} where {}{}", step.label, step.table, pairs(step.where), on);
    case StepKind::kTruncate: return fmt::format("truncate {}: {}{}{}", step.label, step.table, step.cascade ? " cascade" : "", on);
    case StepKind::kMark: return fmt::format("mark {}", step.name);
    case StepKind::kCatchup: return step.node.empty() ? "catchup" : "catchup " + step.node;
    case StepKind::kWait: return fmt::format("wait {}ms", step.duration_ms);
    case StepKind::kCheckLag: return fmt::format("check_lag {}{}", step.name, on);
    case StepKind::kCancel: return fmt::format("cancel {}", step.label);
    case StepKind::kPartition: {
      const char* dir = step.direction == PartitionDirection::kBoth ? "" : step.direction == PartitionDirection::kToStandby ? " (to standby)" : " (to primary)";
      return fmt::format("partition {}{}", step.node, dir);
    }
    case StepKind::kBaseBackup: return fmt::format("base_backup {}{}", step.name, step.node.empty() ? "" : " from " + step.node);
    case StepKind::kSwitchWal: return step.node.empty() ? "switch_wal" : "switch_wal " + step.node;
    case StepKind::kRestorePoint: return fmt::format("restore_point {}", step.name);
    case StepKind::kCheckpoint: return step.node.empty() ? "checkpoint" : "checkpoint " + step.node;
    case StepKind::kNaiveCopy:
      return fmt::format("naive_copy {}: {}{}", step.name, fmt::join(step.files, ", "), step.node.empty() ? "" : " of " + step.node);
    case StepKind::kBreakArchive: return "break_archive";
    case StepKind::kRepairArchive: return "repair_archive";
    case StepKind::kRestore:
      if (step.target.kind == RecoveryTarget::Kind::kNone) return fmt::format("restore {} from {}", step.node, step.backup);
      return fmt::format("restore {} from {} to {}{}{} ({}, action {}, timeline {})", step.node, step.backup,
                         target_kind(step.target.kind), step.target.ref.empty() ? "" : " ", step.target.ref,
                         step.target.inclusive ? "inclusive" : "exclusive", action_name(step.target.action), step.target.timeline);
    default: return fmt::format("{} {}", to_string(step.kind), step.node);
  }
}

}  // namespace replsim
