// The operator on the real cluster: promotion, base backups, segment switches and the archive,
// restore points, checkpoints, naive copies of live data directories, and restores (archive
// recovery to a target, or a naive copy started as it is). sim::Cluster's on_<kind> members
// model the same steps (sim/cluster.h).
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "harness/interrupt.h"
#include "harness/runner.h"
#include "vocab/assert.h"

namespace replsim::harness {
namespace {

constexpr const char* kNotReached = "recovery ended before configured recovery target was reached";
constexpr size_t kSegmentNameLength = 24;  // Timeline, log and segment: 8 hexadecimal digits each.

// The first log line holding `needle`, or "".
std::string log_line_with(const std::string& path, const std::string& needle) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (line.find(needle) != std::string::npos) return line;
  return "";
}

// Whether pg_stat_archiver.last_archived_wal shows `segment` archived. The archiver takes
// ready files in name order (timeline history files first), so a later name means this
// segment's turn is past. Besides segments, it archives backup history files, named after the
// segment the backup started in ("000000010000000000000003.00000028.backup"): one sorts after
// its segment, so it too shows that segment archived. This matters right after a base backup,
// whose history file is the last thing archived: pg_switch_wal() then has nothing to switch and
// names the segment the backup finished, and no later name comes. A timeline history file or a
// .partial segment shows nothing.
bool archived(const std::string& last_archived_wal, const std::string& segment) {
  const bool segment_name = last_archived_wal.size() == kSegmentNameLength;
  const bool backup_history = last_archived_wal.size() > kSegmentNameLength &&
                              last_archived_wal.compare(last_archived_wal.size() - 7, 7, ".backup") == 0;
  if (!segment_name && !backup_history) return false;
  return last_archived_wal.compare(0, kSegmentNameLength, segment) >= 0;
}

}  // namespace

Status Runner::on_promote(const Step& st) {
  event(EventType::kFault, "operator", st.node, fmt::format("promote {}", st.node));
  PgReply reply;
  Status s = c_.promote(st.node, &reply);
  refused(reply);  // pg_promote() on a primary: ERROR "recovery is not in progress".
  if (s.ok()) primary_ = st.node;
  return s;
}

Status Runner::on_base_backup(const Step& st) {
  ClusterNode* n = node_or_primary(st.node);
  REPLSIM_ASSERT(n != nullptr, "base_backup of a node the scenario checker let through but the cluster lacks");
  event(EventType::kFault, "operator", n->name, fmt::format("base_backup {}", st.name));
  auto dir = c_.base_backup(n->name);
  if (!dir.ok()) return dir.status();
  backups_[st.name] = *dir;
  return Status::Ok();
}

Status Runner::on_restore_point(const Step& st) {
  ClusterNode* n = node_or_primary(st.node);
  REPLSIM_ASSERT(n != nullptr, "restore_point on a node the scenario checker let through but the cluster lacks");
  event(EventType::kFault, "operator", n->name, fmt::format("restore_point {}", st.name));
  PgReply r = observe(n, "SELECT pg_create_restore_point($1)::text", {st.name});
  if (!r.ok) {
    refused(r);  // In recovery: ERROR "recovery is in progress".
    return r.status();
  }
  marks_[st.name].lsn = lsn_at(r, 0, 0);
  note(fmt::format("restore point {} at {}", st.name, r.at(0, 0)));
  return Status::Ok();
}

Status Runner::on_switch_wal(const Step& st) {
  ClusterNode* n = node_or_primary(st.node);
  REPLSIM_ASSERT(n != nullptr, "switch_wal on a node the scenario checker let through but the cluster lacks");
  event(EventType::kFault, "operator", n->name, "switch_wal");
  int64_t failed_before = 0;
  if (sc_.cluster.archive_mode && c_.archive_broken()) {
    PgReply f = observe(n, "SELECT failed_count::text FROM pg_stat_archiver");
    if (f.ok) failed_before = std::stoll(f.at(0, 0));
  }
  PgReply r = observe(n, "SELECT pg_walfile_name(pg_switch_wal())");
  if (!r.ok) {
    refused(r);  // In recovery: ERROR "recovery is in progress".
    note(fmt::format("switch_wal: {}", r.error));
    return Status::Ok();
  }
  const std::string segment = r.at(0, 0);
  if (!sc_.cluster.archive_mode) return Status::Ok();
  if (c_.archive_broken()) {
    wait_archive_failed(n, segment, failed_before);
  } else {
    wait_archived(n, segment);
  }
  return Status::Ok();
}

// The archiver copies the finished segment asynchronously: wait until it has, so a restore
// after this step finds it (the partial-segment pitfall is the step's absence).
void Runner::wait_archived(ClusterNode* n, const std::string& segment) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(opt_.catchup_timeout_ms);
  for (int sleep_us = 500; Clock::now() < deadline && !interrupted(); sleep_us = std::min(sleep_us * 2, 10000)) {
    PgReply a = observe(n, "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
    if (a.ok && archived(a.at(0, 0), segment)) {
      note(fmt::format("segment {} archived", segment));
      return;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
  }
  note(fmt::format("switch_wal: segment {} not archived in time", segment));
}

// The archive is broken: the segment cannot be archived. Waits until the archiver has tried
// and failed again (pg_stat_archiver.failed_count grows), so the History shows the failure
// rather than a timeout. A failing archiver retries 3 times a second apart, then sleeps until
// a segment is finished, which pg_switch_wal() just did: the failure follows within ~1 s.
void Runner::wait_archive_failed(ClusterNode* n, const std::string& segment, int64_t failed_before) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(opt_.catchup_timeout_ms);
  for (int sleep_us = 500; Clock::now() < deadline && !interrupted(); sleep_us = std::min(sleep_us * 2, 10000)) {
    PgReply a = observe(n,
                        "SELECT failed_count::text, coalesce(last_failed_wal, ''), coalesce(last_archived_wal, '') "
                        "FROM pg_stat_archiver");
    if (a.ok && std::stoll(a.at(0, 0)) > failed_before) {
      note(
          fmt::format("segment {} not archived: archive_command failed (pg_stat_archiver failed_count {} -> {}, "
                      "last_failed_wal {}, last_archived_wal {})",
                      segment, failed_before, a.at(0, 0), a.at(0, 1), a.at(0, 2).empty() ? "-" : a.at(0, 2)));
      return;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
  }
  note(fmt::format("switch_wal: segment {} not archived, and no archiver failure seen in time", segment));
}

Status Runner::on_checkpoint(const Step& st) {
  ClusterNode* n = node_or_primary(st.node);
  if (n == nullptr) return Status::InvalidInput(fmt::format("no node '{}'", st.node));
  const size_t at = h_.events.size();
  event(EventType::kFault, "operator", n->name, "checkpoint");
  PgConnection* conn = observer(n);
  if (conn == nullptr) return Status::Failed(fmt::format("{} is {}", n->name, to_string(n->state)));
  PgReply r = conn->exec("CHECKPOINT", {}, opt_.statement_timeout_ms);
  // pg_control_checkpoint() reads global/pg_control from disk: what a copy of it would hold.
  if (r.ok) r = conn->exec("SELECT redo_lsn::text, checkpoint_lsn::text FROM pg_control_checkpoint()");
  if (!r.ok) {
    refused(r);
    return r.status();
  }
  h_.events[at].lsn = lsn_at(r, 0, 0);
  note(fmt::format("checkpoint on {}: redo at {}, checkpoint record at {}", n->name, r.at(0, 0), r.at(0, 1)));
  return Status::Ok();
}

Status Runner::on_naive_copy(const Step& st) {
  ClusterNode* n = node_or_primary(st.node);
  if (n == nullptr) return Status::InvalidInput(fmt::format("no node '{}'", st.node));
  const std::vector<std::string>& parts = st.files.empty() ? naive_copy_parts() : st.files;
  const size_t at = h_.events.size();
  event(EventType::kFault, "operator", n->name, fmt::format("naive_copy {}: {}", st.name, fmt::join(parts, ", ")));
  // The moment these parts come from: the source's WAL position and the checkpoint its
  // pg_control names on disk.
  PgReply r = observe(n,
                      "SELECT pg_current_wal_insert_lsn()::text, redo_lsn::text, checkpoint_lsn::text "
                      "FROM pg_control_checkpoint()");
  auto copy = copies_.find(st.name);
  auto dir = c_.naive_copy(n->name, copy == copies_.end() ? "" : copy->second, parts);
  if (!dir.ok()) return dir.status();
  copies_[st.name] = *dir;
  if (r.ok) {
    h_.events[at].lsn = lsn_at(r, 0, 0);
    note(
        fmt::format("naive copy {}: {} of {} copied at insert LSN {} (pg_control names the checkpoint at {}, "
                    "redo {})",
                    st.name, fmt::join(parts, ", "), n->name, r.at(0, 0), r.at(0, 2), r.at(0, 1)));
  }
  return Status::Ok();
}

Status Runner::on_break_archive(const Step& st) {
  event(EventType::kFault, "nemesis", "", to_string(st.kind));
  if (!sc_.cluster.archive_mode) return Status::InvalidInput(fmt::format("{} needs archive_mode", to_string(st.kind)));
  if (Status s = c_.break_archive(); !s.ok()) return s;
  note("archive directory made read-only: archive_command's cp fails with Permission denied");
  return Status::Ok();
}

Status Runner::on_repair_archive(const Step& st) {
  event(EventType::kFault, "nemesis", "", to_string(st.kind));
  if (!sc_.cluster.archive_mode) return Status::InvalidInput(fmt::format("{} needs archive_mode", to_string(st.kind)));
  if (Status s = c_.repair_archive(); !s.ok()) return s;
  wait_archive_caught_up();
  return Status::Ok();
}

// After a repair: an archiver that gave up sleeps until a new segment is finished or 60 s
// pass, and a configuration reload (SIGHUP) wakes it at once without writing any WAL. Then
// waits until no segment awaits archiving (no .ready file in pg_wal/archive_status) on every
// running primary that archives.
void Runner::wait_archive_caught_up() {
  const auto deadline = Clock::now() + std::chrono::milliseconds(opt_.catchup_timeout_ms);
  const std::string pending_sql =
      "SELECT current_setting('archive_mode') <> 'off' AND NOT pg_is_in_recovery(), "
      "(SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready')::text, "
      "(SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver)";
  for (ClusterNode* n : c_.nodes()) {
    PgReply r = observe(n, pending_sql);
    if (!r.ok || r.at(0, 0) != "t") continue;
    (void)observe(n, "SELECT pg_reload_conf()");
    for (int sleep_us = 500;; sleep_us = std::min(sleep_us * 2, 10000)) {
      r = observe(n, pending_sql);
      if (r.ok && r.at(0, 1) == "0") {
        note(
            fmt::format("archive repaired: nothing left to archive on {} (last_archived_wal {})", n->name, r.at(0, 2)));
        break;
      }
      if (interrupted()) return;
      if (Clock::now() > deadline) {
        note(fmt::format("archive repaired, but {} still has {} segments to archive after {} ms", n->name,
                         r.ok ? r.at(0, 1) : r.error, opt_.catchup_timeout_ms));
        break;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
    }
  }
}

Status Runner::on_restore(const Step& st) {
  event(EventType::kFault, "operator", st.node, fmt::format("restore {} from {}", st.node, st.backup));
  if (auto copy = copies_.find(st.backup); copy != copies_.end()) {
    restore_copy(st, copy->second);
  } else if (auto b = backups_.find(st.backup); b != backups_.end()) {
    restore_backup(st, b->second);
  } else {
    note(fmt::format("restore: no base backup named {}", st.backup));
  }
  return Status::Ok();
}

// One recovery target's setting (docs 20.5.6 "Recovery Target") and its value, resolved to what
// this run recorded: a mark's time or LSN, a transaction's xid or commit LSN, a restore point's
// name. The value is "" when the reference names nothing recorded.
std::pair<std::string, std::string> Runner::target_setting(RecoveryTarget::Kind kind, const std::string& ref) {
  std::string value;
  switch (kind) {
    case RecoveryTarget::Kind::kNone: return {"", ""};
    case RecoveryTarget::Kind::kImmediate: return {"recovery_target", "immediate"};
    case RecoveryTarget::Kind::kTime:
      if (auto m = marks_.find(ref); m != marks_.end() && !m->second.time.empty()) value = m->second.time;
      return {"recovery_target_time", value};
    case RecoveryTarget::Kind::kXid:
      if (TxRecord* tx = find_tx(ref); tx != nullptr && tx->xid != 0) value = std::to_string(tx->xid);
      return {"recovery_target_xid", value};
    case RecoveryTarget::Kind::kLsn:
      if (auto m = marks_.find(ref); m != marks_.end()) {
        value = m->second.lsn.to_string();
      } else if (TxRecord* tx = find_tx(ref)) {
        value = tx->commit_lsn.to_string();
      }
      return {"recovery_target_lsn", value};
    case RecoveryTarget::Kind::kName: return {"recovery_target_name", ref};
  }
  return {"", ""};
}

// PostgreSQL's recovery settings for st.target: its target (two of them when the scenario sets
// two at once, which the server refuses at its start), inclusive, action and timeline.
Result<std::vector<std::pair<std::string, std::string>>> Runner::recovery_settings(const Step& st) {
  const RecoveryTarget& t = st.target;
  std::vector<std::pair<std::string, std::string>> conf;
  bool names_something = false;
  for (const auto& [kind, ref] : {std::pair{t.kind, t.ref}, std::pair{t.second_kind, t.second_ref}}) {
    if (kind == RecoveryTarget::Kind::kNone) continue;
    auto [setting, value] = target_setting(kind, ref);
    if (value.empty())
      return Status::InvalidInput(fmt::format("target '{}' names no mark, transaction or restore point", ref));
    names_something |= kind != RecoveryTarget::Kind::kImmediate;
    conf.emplace_back(setting, value);
  }
  if (names_something) conf.emplace_back("recovery_target_inclusive", t.inclusive ? "on" : "off");
  const char* action = t.action == RecoveryTarget::Action::kPause     ? "pause"
                       : t.action == RecoveryTarget::Action::kPromote ? "promote"
                                                                      : "shutdown";
  conf.emplace_back("recovery_target_action", action);
  conf.emplace_back("recovery_target_timeline", t.timeline);
  return conf;
}

void Runner::restore_backup(const Step& st, const std::string& backup_dir) {
  auto conf = recovery_settings(st);
  if (!conf.ok()) return note(fmt::format("restore {}: {}", st.node, conf.status().message()));
  auto n = c_.restore(st.node, backup_dir, *conf);
  if (!n.ok()) return refused_to_start(st, n.status());
  Status s = wait_restored(*n, st.target.action);
  if (!s.ok()) note(fmt::format("restore {}: {}", st.node, s.message()));
}

// The restored server did not come up: its node ends stopped, with the server's words.
void Runner::refused_to_start(const Step& st, const Status& why) {
  note(fmt::format("restore {}: {}", st.node, why.message()));
  if (ClusterNode* made = c_.node(st.node)) {
    made->error = "refuses_to_start";
    made->error_detail = why.message();
    made->state = NodeState::kStopped;
  }
}

// A naive copy is started as it is: crash recovery from the checkpoint its pg_control names.
// PostgreSQL either comes up as a primary or refuses (Cluster::restore_copy records which);
// either way its own startup lines go into the timeline, for the model to be checked against.
void Runner::restore_copy(const Step& st, const std::string& copy_dir) {
  auto n = c_.restore_copy(st.node, copy_dir);
  if (!n.ok()) return refused_to_start(st, n.status());
  for (const std::string& line : (*n)->server->log_since_start(40)) {
    if (line.find("starting PostgreSQL") != std::string::npos || line.find("listening on") != std::string::npos) {
      continue;
    }
    note(line);
  }
}

Status Runner::wait_restored(ClusterNode* n, RecoveryTarget::Action action) {
  // Ready means recovery ended as asked, not "accepts connections" (pg_ctl -w returns as
  // soon as a hot standby does, long before the target): promoted, paused, or shut down.
  const auto deadline = Clock::now() + std::chrono::milliseconds(opt_.restore_timeout_ms);
  for (int sleep_us = 1000;; sleep_us = std::min(sleep_us * 2, 10000)) {
    if (!n->server->running()) {
      const std::string not_reached = log_line_with(n->log_path, kNotReached);
      const std::string stopping = log_line_with(n->log_path, "recovery stopping");
      n->state = NodeState::kStopped;
      if (!not_reached.empty()) {
        n->error = "recovery_target_not_reached";
        n->error_detail = not_reached;
        note(fmt::format("{}: {}", n->name, not_reached));
        return Status::Ok();
      }
      if (action == RecoveryTarget::Action::kShutdown && !stopping.empty()) {
        n->shut_down_at_target = true;
        note(fmt::format("{}: {}; shut down as asked", n->name, stopping));
        return Status::Ok();
      }
      n->error = "refuses_to_start";
      n->error_detail = n->server->log_tail(10);
      return Status::Failed(fmt::format("exited during recovery:\n{}", n->error_detail));
    }
    if (action != RecoveryTarget::Action::kShutdown) {
      PgReply r = observe(n,
                          "SELECT pg_is_in_recovery(), CASE WHEN pg_is_in_recovery() THEN "
                          "pg_get_wal_replay_pause_state() END");
      if (r.ok && r.at(0, 0) == "f") {
        n->state = NodeState::kPrimary;
        if (const std::string l = log_line_with(n->log_path, "recovery stopping"); !l.empty()) note(l);
        return Status::Ok();
      }
      if (r.ok && action == RecoveryTarget::Action::kPause && !r.null_at(0, 1) && r.at(0, 1) == "paused") {
        n->state = NodeState::kRestoring;
        if (const std::string l = log_line_with(n->log_path, "recovery stopping"); !l.empty()) note(l);
        return Status::Ok();
      }
    }
    if (interrupted()) return Status::Interrupted("interrupted");
    if (Clock::now() > deadline) {
      return Status::Timeout(fmt::format("recovery of {} did not end within {} ms", n->name, opt_.restore_timeout_ms));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
  }
}

}  // namespace replsim::harness
