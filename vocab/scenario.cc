#include "vocab/scenario.h"

#include <strings.h>

#include <fmt/format.h>

#include <algorithm>

#include "vocab/assert.h"

namespace replsim {
namespace {

// A value of the scenario is wrong: where it was written, or which scenario when built in code.
Status invalid(const Scenario& scenario, SourcePos pos, const std::string& message) {
  if (pos.line > 0)
    return Status::InvalidInput(fmt::format("{}:{}:{}: {}", scenario.file, pos.line, pos.column, message));
  return Status::InvalidInput(fmt::format("{}: {}", scenario.file.empty() ? scenario.name : scenario.file, message));
}

}  // namespace

const char* to_string(SyncCommit level) {
  switch (level) {
    case SyncCommit::kOff: return "off";
    case SyncCommit::kLocal: return "local";
    case SyncCommit::kRemoteWrite: return "remote_write";
    case SyncCommit::kOn: return "on";
    case SyncCommit::kRemoteApply: return "remote_apply";
  }
  return "?";
}

std::optional<SyncCommit> parse_sync_commit(const std::string& text) {
  for (auto level :
       {SyncCommit::kOff, SyncCommit::kLocal, SyncCommit::kRemoteWrite, SyncCommit::kOn, SyncCommit::kRemoteApply}) {
    if (strcasecmp(text.c_str(), to_string(level)) == 0) return level;
  }
  // PostgreSQL also accepts the boolean spellings of on and off.
  for (const char* on : {"true", "yes", "1"})
    if (strcasecmp(text.c_str(), on) == 0) return SyncCommit::kOn;
  for (const char* off : {"false", "no", "0"})
    if (strcasecmp(text.c_str(), off) == 0) return SyncCommit::kOff;
  return std::nullopt;
}

const char* to_string(StepKind kind) {
  switch (kind) {
    case StepKind::kInsert: return "insert";
    case StepKind::kUpdate: return "update";
    case StepKind::kDelete: return "delete";
    case StepKind::kTruncate: return "truncate";
    case StepKind::kMark: return "mark";
    case StepKind::kCatchup: return "catchup";
    case StepKind::kWait: return "wait";
    case StepKind::kCheckLag: return "check_lag";
    case StepKind::kCancel: return "cancel";
    case StepKind::kPause: return "pause";
    case StepKind::kResume: return "resume";
    case StepKind::kPartition: return "partition";
    case StepKind::kHeal: return "heal";
    case StepKind::kCrash: return "crash";
    case StepKind::kStop: return "stop";
    case StepKind::kStart: return "start";
    case StepKind::kWipe: return "wipe";
    case StepKind::kPromote: return "promote";
    case StepKind::kBaseBackup: return "base_backup";
    case StepKind::kSwitchWal: return "switch_wal";
    case StepKind::kRestorePoint: return "restore_point";
    case StepKind::kRestore: return "restore";
    case StepKind::kCheckpoint: return "checkpoint";
    case StepKind::kNaiveCopy: return "naive_copy";
    case StepKind::kBreakArchive: return "break_archive";
    case StepKind::kRepairArchive: return "repair_archive";
    case StepKind::kStallDisk: return "stall_disk";
    case StepKind::kOsCrash: return "os_crash";
    case StepKind::kTerminate: return "terminate";
    case StepKind::kPauseReplay: return "pause_replay";
    case StepKind::kResumeReplay: return "resume_replay";
    case StepKind::kReload: return "reload";
    case StepKind::kBegin: return "begin";
    case StepKind::kCommit: return "commit";
    case StepKind::kRollback: return "rollback";
  }
  return "?";
}

const char* to_string(ExpectKind kind) {
  switch (kind) {
    case ExpectKind::kLost: return "lost";
    case ExpectKind::kPresent: return "present";
    case ExpectKind::kAbsent: return "absent";
    case ExpectKind::kAcknowledged: return "acknowledged";
    case ExpectKind::kBlocks: return "blocks";
    case ExpectKind::kCancelled: return "cancelled";
    case ExpectKind::kFailed: return "failed";
    case ExpectKind::kInDoubt: return "in_doubt";
    case ExpectKind::kRows: return "rows";
    case ExpectKind::kLag: return "lag";
    case ExpectKind::kError: return "error";
    case ExpectKind::kStepError: return "error";
    case ExpectKind::kLostCount: return "lost_count";
    case ExpectKind::kPresentCount: return "present_count";
    case ExpectKind::kState: return "state";
    case ExpectKind::kTimeline: return "timeline";
    case ExpectKind::kSyncState: return "sync_state";
  }
  return "?";
}

bool in_group(const std::string& label, const std::string& group) {
  if (group.empty()) return true;
  if (label.size() <= group.size() + 1 || label.compare(0, group.size(), group) != 0 || label[group.size()] != '_')
    return false;
  return std::all_of(label.begin() + static_cast<std::ptrdiff_t>(group.size()) + 1, label.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

const std::vector<std::string>& naive_copy_parts() {
  static const std::vector<std::string> parts = {"base", "pg_xact", "pg_wal", "global"};
  return parts;
}

bool Scenario::restores_naive_copy(const Step& restore) const {
  if (restore.kind != StepKind::kRestore) return false;
  for (const Step& s : steps) {
    if (&s == &restore) return false;
    if (s.kind == StepKind::kNaiveCopy && s.name == restore.backup) return true;
  }
  return false;
}

bool Scenario::resolved() const {
  return dataset_ != nullptr && dataset_->name == cluster.dataset &&
         resolved_standby_names_ == cluster.synchronous_standby_names;
}

const Dataset& Scenario::dataset() const {
  REPLSIM_ASSERT(resolved(), "resolve_scenario() was not called since the scenario was built or edited");
  return *dataset_;
}

const StandbyNames& Scenario::standby_names() const {
  REPLSIM_ASSERT(resolved(), "resolve_scenario() was not called since the scenario was built or edited");
  return standby_names_;
}

Status resolve_scenario(Scenario& scenario) {
  const ClusterSpec& c = scenario.cluster;
  int column = 0;
  auto names = parse_standby_names(c.synchronous_standby_names, &column);
  if (!names.ok()) {
    return invalid(scenario, c.standby_names_pos,
                   fmt::format("invalid synchronous_standby_names '{}' at character {}: {}",
                               c.synchronous_standby_names, column, names.status().message()));
  }
  const Dataset* dataset = find_dataset(c.dataset);
  if (dataset == nullptr) {
    return invalid(
        scenario, c.dataset_pos,
        fmt::format("unknown data set '{}'; expected one of: {}", c.dataset, fmt::join(dataset_names(), ", ")));
  }
  scenario.dataset_ = dataset;
  scenario.standby_names_ = std::move(names).value();
  scenario.resolved_standby_names_ = c.synchronous_standby_names;
  return Status::Ok();
}

const NodeSpec* ClusterSpec::find_node(const std::string& name) const {
  for (const auto& n : nodes)
    if (n.name == name) return &n;
  return nullptr;
}

bool is_own_transaction(const Step& step) {
  const bool writes = step.kind == StepKind::kInsert || step.kind == StepKind::kUpdate ||
                      step.kind == StepKind::kDelete || step.kind == StepKind::kTruncate;
  return writes && step.session.empty();
}

}  // namespace replsim
