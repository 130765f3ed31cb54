// The WAL archive, checkpoints and WAL retention, base backups, naive copies, and restores:
// point-in-time recovery from a base backup and the archive, or starting a naive copy.
// docs/model.md, "Archiving", "Base backups", "Recovery", "WAL retention", "Naive copy".
#include <fmt/format.h>

#include <algorithm>

#include "sim/cluster.h"
#include "vocab/assert.h"

namespace replsim::sim {

// The archiver copies each completed segment of a running primary (26.3.1 "Setting Up WAL
// Archiving": only completed segments, by archive_command). A failing command retries later:
// nothing is archived while the archive is broken, and the segments wait in pg_wal.
void Cluster::run_archiver(int p) {
  // Called after every flush: without archiving it must cost nothing.
  if (!scenario_.cluster.archive_mode || archive_.broken()) return;
  auto next = archived_next_.find(p);
  Node& node = *nodes_[static_cast<size_t>(p)];
  if (next == archived_next_.end() || !node.running() || !node.is_primary()) return;
  for (; archive_.segment_start(next->second + 1) <= node.flush_lsn(); ++next->second) {
    const Lsn start = std::max(archive_.segment_start(next->second), node.wal().oldest_lsn());
    const Lsn end = archive_.segment_start(next->second + 1);
    archive_.put_segment(node.timeline(), next->second, {start, node.wal().read(start, end.value - start.value)});
    note("archived {}", wal_segment_name(node.timeline(), start, archive_.segment_size()));
  }
}

// archive_timeout (20.5.3 "Archiving"; checkpointer.c CheckArchiveTimeout). The setting is whole
// seconds (archive_timeout_seconds). The checkpointer looks archive_timeout after the last
// segment switch (XLogCtl->lastSegSwitchTime: a segment completed, by filling up or by a switch,
// or the server's start) and switches only if WAL was written since that switch; a look that
// finds nothing counts as a switch for the next look. So the timer runs from the last switch,
// not from the first write into the segment, and the archive lags by at most archive_timeout.
// The setting does not depend on archive_mode: it switches segments either way.
void Cluster::schedule_archive_timeout(int p) {
  const int64_t timeout_s = archive_timeout_seconds(scenario_.cluster.archive_timeout_ms);
  if (timeout_s <= 0) return;  // Off: also what PostgreSQL makes of anything below 500 ms.
  Node& node = *nodes_[static_cast<size_t>(p)];
  if (!node.running() || !node.is_primary()) return;
  if (!archive_timers_.count(p)) reset_archive_timer(p, node.insert_lsn());
  ArchiveTimer& t = archive_timers_[p];
  if (archive_.segno(node.flush_lsn()) > archive_.segno(t.last_switch_lsn)) {
    // XLogWrite finished a segment: lastSegSwitchTime/LSN move to now and its end.
    t.last_switch_us = world_.now_us();
    t.last_switch_lsn = archive_.segment_start(archive_.segno(node.flush_lsn()));
    ++t.generation;
    t.armed = false;
  }
  if (t.armed || node.insert_lsn() <= t.last_switch_lsn) return;
  // The looks fall every archive_timeout after the last switch; the next one decides.
  const int64_t period_us = timeout_s * 1'000'000;
  const int64_t next = t.last_switch_us + ((world_.now_us() - t.last_switch_us) / period_us + 1) * period_us;
  t.armed = true;
  const uint64_t generation = t.generation;
  world_.after(next - world_.now_us(), [this, p, generation] { check_archive_timeout(p, generation); });
}

void Cluster::check_archive_timeout(int p, uint64_t generation) {
  ArchiveTimer& t = archive_timers_[p];
  if (t.generation != generation) return;  // A switch or a restart since: another look is armed.
  t.armed = false;
  Node& node = *nodes_[static_cast<size_t>(p)];
  if (!node.running() || !node.is_primary()) return;
  t.last_switch_us = world_.now_us();  // "Update state in any case".
  if (node.insert_lsn() <= t.last_switch_lsn || node.insert_lsn().value % archive_.segment_size() == 0) return;
  node.writer().switch_segment();
  node.flush_to(node.insert_lsn());
  node.make_visible();
  note("archive_timeout on {}: switched to a new segment at {}", node.name(), node.insert_lsn().to_string());
  wake_walsenders(p);
}

// StartupXLOG sets lastSegSwitchTime to the start and lastSegSwitchLSN to the end of the WAL.
void Cluster::reset_archive_timer(int p, Lsn end_of_log) {
  ArchiveTimer& t = archive_timers_[p];
  t.last_switch_us = world_.now_us();
  t.last_switch_lsn = end_of_log;
  ++t.generation;
  t.armed = false;
  schedule_archive_timeout(p);
}

// pg_switch_wal() on a running primary. On a server in recovery (a standby, a restore) it is
// ERROR "recovery is in progress" (xlogfuncs.c pg_switch_wal: 55000); a node that is down or
// paused cannot be asked. Either way nothing changes.
void Cluster::on_switch_wal(const Step& step) {
  const int n = nemesis(step);
  Node& node = *nodes_[static_cast<size_t>(n)];
  if (node.running() && !node.is_primary()) return refuse("55000", "recovery is in progress");
  if (!node.running() || !node.is_primary()) return;
  const wal::Appended a = node.writer().switch_segment();
  node.flush_to(node.insert_lsn());
  node.make_visible();
  wake_walsenders(n);
  note("pg_switch_wal() on {}: next segment starts at {}", node.name(), a.end_lsn.to_string());
}

// pg_create_restore_point() on a running primary; in recovery it is ERROR "recovery is in
// progress" (xlogfuncs.c pg_create_restore_point: 55000); elsewhere it fails; nothing changes.
void Cluster::on_restore_point(const Step& step) {
  const int n = nemesis(step);
  Node& node = *nodes_[static_cast<size_t>(n)];
  if (node.running() && !node.is_primary()) return refuse("55000", "recovery is in progress");
  if (!node.running() || !node.is_primary()) return;
  node.writer().restore_point(step.name, now_epoch_us());
  node.flush_to(node.insert_lsn());
  node.make_visible();
  wake_walsenders(n);
  note("restore point {} at {}", step.name, node.insert_lsn().to_string());
}

void Cluster::on_checkpoint(const Step& step) {
  const int n = nemesis(step);
  const Lsn at = checkpoint(n);
  note("checkpoint on {} at {}", nodes_[static_cast<size_t>(n)]->name(), at.to_string());
}

void Cluster::on_break_archive(const Step& step) {
  nemesis(step);
  set_archive_broken(true);
}

void Cluster::on_repair_archive(const Step& step) {
  nemesis(step);
  set_archive_broken(false);
}

void Cluster::set_archive_broken(bool broken) {
  archive_.set_broken(broken);
  if (broken)
    return note("archive_command now fails: completed segments stay in pg_wal, marked .ready, and are retried");
  note("archive_command works again: the archiver catches up");
  for (size_t i = 0; i < nodes_.size(); ++i) run_archiver(static_cast<int>(i));
}

// CHECKPOINT (CreateCheckPoint): the record, then the removal of segments no longer needed
// (20.5.4 "Checkpoints", 20.6.1 wal_keep_size, max_slot_wal_keep_size).
Lsn Cluster::checkpoint(int n) {
  Node& node = *nodes_[static_cast<size_t>(n)];
  const Lsn at = node.checkpoint(now_epoch_us());
  wake_walsenders(n);
  remove_old_wal(n, at);
  return at;
}

// KeepLogSeg() and RemoveOldXlogFiles() of PostgreSQL 15: keep from the segment of the redo
// point, of the oldest valid slot's restart_lsn (capped by max_slot_wal_keep_size, past which
// the slot is invalidated), of wal_keep_size back from the checkpoint, and every segment not yet
// archived; segments before that are removed.
void Cluster::remove_old_wal(int p, Lsn at) {
  Node& node = *nodes_[static_cast<size_t>(p)];
  const ClusterSpec& c = scenario_.cluster;
  const uint64_t current = archive_.segno(at);
  // KeepLogSeg over the slots still valid (invalidating one changes the answer).
  auto keep_for_valid_slots = [&] {
    uint64_t keep = current;
    std::optional<Lsn> oldest;
    for (const auto& link : links_)
      if (link->upstream() == p && link->has_slot && !link->slot_invalidated)
        oldest = std::min(oldest.value_or(link->slot_restart_lsn), link->slot_restart_lsn);
    if (oldest && *oldest < at) {
      keep = archive_.segno(*oldest);
      const int64_t max_segs = c.max_slot_wal_keep_size < 0
                                   ? -1
                                   : size_setting_segments(c.max_slot_wal_keep_size, c.wal_segment_size);
      if (max_segs >= 0 && current - keep > static_cast<uint64_t>(max_segs))
        keep = current - static_cast<uint64_t>(max_segs);
    }
    const auto keep_segs = static_cast<uint64_t>(
        size_setting_segments(static_cast<int64_t>(c.wal_keep_size), c.wal_segment_size));
    if (keep_segs > 0 && current - keep < keep_segs) keep = current <= keep_segs ? 1 : current - keep_segs;
    return std::min(keep, current);
  };
  uint64_t keep = keep_for_valid_slots();
  for (auto& link : links_) {
    if (link->upstream() != p || !link->has_slot || link->slot_invalidated) continue;
    if (link->slot_restart_lsn >= archive_.segment_start(keep)) continue;
    link->slot_invalidated = true;
    note("invalidating slot \"{}\" because its restart_lsn {} exceeds max_slot_wal_keep_size",
         nodes_[static_cast<size_t>(link->standby())]->name(), link->slot_restart_lsn.to_string());
    keep = keep_for_valid_slots();
  }
  if (c.archive_mode) {
    auto next = archived_next_.find(p);
    if (next != archived_next_.end()) keep = std::min(keep, next->second);
  }
  const Lsn horizon = std::max(archive_.segment_start(keep), node.wal().oldest_lsn());
  if (horizon <= std::max(node.wal_removed_before(), node.wal().oldest_lsn())) return;
  node.remove_wal_before(horizon);
  note("checkpoint on {} removed the WAL before {} (segment {})", node.name(), horizon.to_string(),
       wal_segment_name(node.timeline(), horizon, archive_.segment_size()));
}

// The walsender cannot read what the standby asks for (XLogRead: "requested WAL segment ... has
// already been removed"); the walreceiver retries forever and never gets it.
void Cluster::lose_wal(int l, const std::string& segment) {
  Link& link = *links_[static_cast<size_t>(l)];
  if (!link.wal_removed)
    note("{}: ERROR:  requested WAL segment {} has already been removed",
         nodes_[static_cast<size_t>(link.standby())]->name(), segment);
  link.wal_removed = true;
  drop_connection(l);
}

// pg_basebackup -X stream -c fast (26.3.2 "Making a Base Backup", 26.3.3 with the low-level
// API's steps; xlog.c do_pg_backup_start and do_pg_backup_stop): a segment switch
// (RequestXLogSwitch, so the backup's WAL starts in a fresh segment), an immediate checkpoint
// whose redo point starts the backup, the files, a backup-end record, and a segment switch so
// the last segment it needs can be archived. The first switch is why the checkpoint lies in a
// new segment and can remove the one that was being written (WAL retention).
void Cluster::on_base_backup(const Step& step) {
  const int n = step.node.empty() ? current_primary_ : node_index(step.node);
  Node& node = *nodes_[static_cast<size_t>(n)];
  event(HistoryEvent::Type::kFault, "operator", n, fmt::format("base_backup {}", step.name), "");
  if (!node.running()) return note("pg_basebackup of {} fails: it is {}", node.name(), to_string(node.run_state()));
  BaseBackup b;
  b.timeline = node.timeline();
  if (node.is_primary()) {
    node.writer().switch_segment();  // Writes nothing at a segment boundary, as RequestXLogSwitch.
    node.flush_to(node.insert_lsn());
    node.make_visible();
    b.start = checkpoint(n);
    node.writer().backup_end(b.start);
    b.end = node.writer().end_lsn();
    node.writer().switch_segment();
    node.flush_to(node.insert_lsn());
    node.make_visible();
    wake_walsenders(n);
  } else {
    // From a standby: no records are written; the backup ends where its replay stands.
    b.start = b.end = node.replay_lsn();
  }
  b.wal = node.copy_wal(b.end);
  note("base backup {} of {}: starts at {} (timeline {}), consistent at {}", step.name, node.name(),
       b.start.to_string(), b.timeline, b.end.to_string());
  backups_[step.name] = std::move(b);
}

// Each part comes from this moment (naive_copy.h): the data files and pg_xact hold what the last
// checkpoint wrote, pg_wal what was written, pg_control the last checkpoint.
void Cluster::on_naive_copy(const Step& step) {
  const int s = step.node.empty() ? current_primary_ : node_index(step.node);
  Node& src = *nodes_[static_cast<size_t>(s)];
  event(HistoryEvent::Type::kFault, "operator", s, fmt::format("naive_copy {}", step.name), step.text);
  if (!src.running() || !src.is_primary()) return note("naive copy of {}: it is not a running primary", src.name());
  auto [it, fresh] = copies_.try_emplace(step.name);
  NaiveCopy& copy = it->second;
  if (fresh) {
    copy.source = s;
    copy.source_incarnation = src.incarnation();
  }
  std::vector<std::string> what;
  for (const std::string& part : step.files) {
    const Lsn moment = part == "pg_wal" ? src.flush_lsn() : src.last_checkpoint();
    copy.parts[part] = moment;
    what.push_back(
        fmt::format("{} ({} {})", part, part == "pg_wal" ? "WAL to" : "as of the checkpoint at", moment.to_string()));
  }
  copy.wal = src.copy_wal(src.flush_lsn());
  note("naive copy {} of {}: {}", step.name, src.name(), fmt::join(what, ", "));
}

// A node for a restore: a fresh data directory, with no upstream (primary_conninfo = '').
int Cluster::fresh_node(const std::string& name) {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i]->name() != name) continue;
    nodes_[i] = std::make_unique<Node>(name, false, scenario_.cluster.wal_segment_size, dataset_);
    if (i > 0) {
      drop_connection(static_cast<int>(i) - 1);
      links_[i - 1]->promoted_away = true;
    }
    // Its old standbys' primary_conninfo names the server that was there, not this one.
    for (auto& link : links_)
      if (link->upstream() == static_cast<int>(i)) link->promoted_away = true;
    since_.erase(static_cast<int>(i));
    errors_.erase(static_cast<int>(i));
    shut_down_at_target_.erase(static_cast<int>(i));
    sync_names_.erase(static_cast<int>(i));
    return static_cast<int>(i);
  }
  const int n = static_cast<int>(nodes_.size());
  nodes_.push_back(std::make_unique<Node>(name, false, scenario_.cluster.wal_segment_size, dataset_));
  links_.push_back(std::make_unique<Link>(world_, n, n, scenario_.cluster.link_latency_us));
  links_.back()->promoted_away = true;
  return n;
}

void Cluster::fail_node(int n, const std::string& error, const std::string& detail) {
  Node& node = *nodes_[static_cast<size_t>(n)];
  errors_[n] = {error, detail};
  note("{}: {}", node.name(), detail);
  if (node.running()) node.stop();
}

std::optional<wal::RecoveryTarget> Cluster::recovery_target(const Step& step, const BaseBackup& b) const {
  const RecoveryTarget& t = step.target;
  auto tx = [&]() -> const Tx* {
    for (const Tx& x : txs_)
      if (x.record.label == t.ref && x.committed) return &x;
    return nullptr;
  };
  switch (t.kind) {
    case RecoveryTarget::Kind::kNone: return wal::RecoveryTarget::none();
    case RecoveryTarget::Kind::kImmediate: return wal::RecoveryTarget::immediate(b.end);
    case RecoveryTarget::Kind::kTime:
      if (auto m = marks_.find(t.ref); m != marks_.end())
        return wal::RecoveryTarget::at_time(m->second.time_us, t.inclusive);
      return std::nullopt;
    case RecoveryTarget::Kind::kXid:
      if (const Tx* x = tx()) return wal::RecoveryTarget::at_xid(x->record.xid, t.inclusive);
      return std::nullopt;
    case RecoveryTarget::Kind::kLsn:
      if (auto m = marks_.find(t.ref); m != marks_.end())
        return wal::RecoveryTarget::at_lsn(m->second.lsn, t.inclusive);
      if (const Tx* x = tx()) return wal::RecoveryTarget::at_lsn(x->record.commit_lsn, t.inclusive);
      return std::nullopt;
    case RecoveryTarget::Kind::kName: return wal::RecoveryTarget::at_name(t.ref);
  }
  return std::nullopt;
}

// Archive recovery (26.3.4 "Recovering Using a Continuous Archive Backup", 20.5.5, 20.5.6):
// the backup's files, then restore_command fetches each next segment from the archive, of the
// newest timeline on the path to recovery_target_timeline that has it; replay stops at the
// target, or at the end of what the archive holds.
void Cluster::on_restore(const Step& step) {
  if (auto copy = copies_.find(step.backup); copy != copies_.end()) return restore_copy(step, copy->second);
  auto found = backups_.find(step.backup);
  if (found == backups_.end()) return note("restore {}: base backup {} was never taken", step.node, step.backup);
  const BaseBackup& b = found->second;
  const std::optional<wal::RecoveryTarget> target = recovery_target(step, b);
  if (!target)
    return note("restore {}: target '{}' names no mark, committed transaction or restore point", step.node,
                step.target.ref);
  if (step.target.second_kind != RecoveryTarget::Kind::kNone) {
    Step second = step;
    second.target.kind = step.target.second_kind;
    second.target.ref = step.target.second_ref;
    if (!recovery_target(second, b))
      return note("restore {}: target '{}' names no mark, committed transaction or restore point", step.node,
                  second.target.ref);
  }
  const int n = fresh_node(step.node);
  event(HistoryEvent::Type::kFault, "operator", n, fmt::format("restore {} from {}", step.node, step.backup),
        step.text);
  // Two recovery targets: the server refuses its configuration before it recovers anything
  // (xlogrecovery.c error_multiple_recovery_targets, from the settings' assign hooks).
  if (step.target.second_kind != RecoveryTarget::Kind::kNone)
    return fail_node(n, "refuses_to_start", "FATAL:  multiple recovery targets specified");
  const std::string& wanted = step.target.timeline;
  const TimelineId tli = wanted == "current"  ? b.timeline
                         : wanted == "latest" ? archive_.newest_timeline(b.timeline)
                                              : static_cast<TimelineId>(std::stoul(wanted));
  const auto path = archive_.path(b.timeline, tli, b.start);
  if (path.empty()) {
    return fail_node(n, "refuses_to_start",
                     tli != b.timeline && !archive_.history(tli)
                         ? fmt::format("FATAL:  recovery target timeline {} does not exist", tli)
                         : fmt::format("FATAL:  requested timeline {} is not a child of this server's history", tli));
  }
  wal::SegmentStore wal = copy_wal(*b.wal, b.wal->end_lsn());
  wal.set_timeline(tli);
  int fetched = 0;
  for (uint64_t segno = archive_.segno(wal.oldest_lsn());; ++segno) {
    const ArchivedSegment* seg = nullptr;
    Lsn limit{UINT64_MAX};  // A timeline's WAL is read only up to where its child forks.
    for (size_t i = path.size(); i-- > 0 && seg == nullptr;) {
      if (segno < archive_.segno(path[i].second)) continue;
      seg = archive_.find_segment(path[i].first, segno);
      if (seg != nullptr && i + 1 < path.size()) limit = path[i + 1].second;
    }
    if (seg == nullptr || seg->start > wal.end_lsn()) {
      if (archive_.segment_start(segno + 1) <= wal.end_lsn()) continue;  // The backup's pg_wal has it.
      break;
    }
    const uint64_t size = std::min<uint64_t>(seg->bytes.size(),
                                             limit.value > seg->start.value ? limit.value - seg->start.value : 0);
    wal.write(seg->start, std::string_view(seg->bytes).substr(0, size));
    ++fetched;
  }
  note(
      "{}: starting point-in-time recovery to {} from backup {} ({} segment(s) restored from the archive, "
      "WAL available to {})",
      step.node, target->to_string(), step.backup, fetched, wal.end_lsn().to_string());
  const wal::StopInfo stop = nodes_[static_cast<size_t>(n)]->recover(std::move(wal), b.start, *target);
  finish_recovery(n, step, stop, tli);
}

// What recovery does once replay stops (20.5.6 "Recovery Target"): a target that was never
// reached is fatal; otherwise recovery_target_action, except that recovery without a target
// always ends by promoting (end of archive recovery).
void Cluster::finish_recovery(int n, const Step& step, const wal::StopInfo& stop, TimelineId recovery_timeline) {
  Node& node = *nodes_[static_cast<size_t>(n)];
  const bool has_target = step.target.kind != RecoveryTarget::Kind::kNone;
  if (has_target && !stop.reached) {
    return fail_node(
        n, "recovery_target_not_reached",
        fmt::format("FATAL:  recovery ended before configured recovery target was reached (WAL ends at {})",
                    node.flush_lsn().to_string()));
  }
  if (!stop.reason.empty()) note("{}: {}", node.name(), stop.reason);
  const auto action = has_target ? step.target.action : RecoveryTarget::Action::kPromote;
  if (action == RecoveryTarget::Action::kPause) {
    return note("{}: recovery has paused at {}; it reads as a hot standby", node.name(), node.replay_lsn().to_string());
  }
  if (action == RecoveryTarget::Action::kShutdown) {
    note("{}: shutdown at recovery target", node.name());
    shut_down_at_target_.insert(n);
    return node.stop();
  }
  REPLSIM_ASSERT(node.timeline() == recovery_timeline, "archive recovery follows the timeline it was told");
  const TimelineId tli = new_timeline_at_promotion(n);
  const Lsn end = node.promote(tli, now_epoch_us());
  reset_archive_timer(n, end);
  note("{}: selected new timeline ID: {} at {}; archive recovery complete", node.name(), tli, end.to_string());
}

// findNewestTimeLine(recoveryTargetTLI) + 1, as StartupXLOG chooses it at the end of recovery
// (timeline.c findNewestTimeLine and existsTimeLineHistory): probing upwards from the node's own
// timeline for history files it can find itself — with restore_command (a restored node) in the
// archive, without one (a streaming standby, as the harness configures them) in its own pg_wal,
// which holds only its own timeline's history. Not a cluster-wide counter: a standby that cannot
// see another's promotion chooses the same number.
TimelineId Cluster::new_timeline_at_promotion(int n) const {
  const Node& node = *nodes_[static_cast<size_t>(n)];
  const TimelineId newest = node.restoring() ? archive_.newest_timeline(node.timeline()) : node.timeline();
  return newest + 1;
}

// The copy is started as it is: no recovery.signal, so crash recovery from pg_control's checkpoint.
void Cluster::restore_copy(const Step& step, const NaiveCopy& copy) {
  const int n = fresh_node(step.node);
  event(HistoryEvent::Type::kFault, "operator", n, fmt::format("restore {} from {}", step.node, step.backup),
        step.text);
  const Node& src = *nodes_[static_cast<size_t>(copy.source)];
  const bool source_alive = src.running() || src.run_state() == RunState::kPaused;
  if (source_alive && src.incarnation() == copy.source_incarnation) {
    // The copied postmaster.pid names a live process (miscinit.c, CreateLockFile).
    return fail_node(n, "refuses_to_start",
                     fmt::format("FATAL:  lock file \"postmaster.pid\" already exists (the copy names {}'s postmaster, "
                                 "which still runs)",
                                 src.name()));
  }
  auto rows = std::make_unique<wal::MemoryStore>();
  const CopyStartup started = start_naive_copy(copy, dataset_, rows.get());
  if (!started.starts) return fail_node(n, "refuses_to_start", started.log);
  note("{}: crash recovery of the copy: {}", step.node, started.log);
  if (started.torn) {
    run_note(
        "{} started from naive copy {} but holds a torn state: pg_control's checkpoint {} is newer than its data files "
        "(base as of {}), so crash recovery skipped the WAL between them{}{}",
        step.node, step.backup, started.checkpoint.to_string(), copy.parts.at("base").to_string(),
        started.missing.empty() ? "" : fmt::format("; committed but missing: {}", fmt::join(started.missing, ", ")),
        started.resurrected.empty()
            ? ""
            : fmt::format("; present though not committed: {}", fmt::join(started.resurrected, ", ")));
  }
  nodes_[static_cast<size_t>(n)]->adopt_copy(copy_wal(*copy.wal, copy.wal->end_lsn()), started.end_of_wal,
                                             started.last_record, started.next_xid, std::move(rows));
  reset_archive_timer(n, nodes_[static_cast<size_t>(n)]->insert_lsn());
}

}  // namespace replsim::sim
