// The replication protocol between the cluster's nodes: the walsender streams flushed WAL
// (PostgreSQL sends only what is flushed), the walreceiver writes and flushes it and
// replies with its write/flush/apply positions, the startup process replays it, and the
// primary releases commits waiting for synchronous replication (syncrep.c).
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "sim/cluster.h"
#include "sim/sync_rep.h"
#include "vocab/assert.h"

namespace replsim::sim {
namespace {

// The walsender hands at most this much to the wire per message (PostgreSQL's MAX_SEND_SIZE
// is 16 pages; one 128 kB message is close enough for timing).
constexpr uint64_t kMaxSendBytes = 128 * 1024;
constexpr uint64_t kFeedbackBytes = 64;  // A standby status update.

}  // namespace

std::vector<int> Cluster::walsenders_of(int primary) const {
  std::vector<int> out;
  for (size_t l = 0; l < links_.size(); ++l)
    if (links_[l]->upstream() == primary && links_[l]->connected()) out.push_back(static_cast<int>(l));
  std::sort(out.begin(), out.end(), [&](int a, int b) {
    return links_[static_cast<size_t>(a)]->slot() < links_[static_cast<size_t>(b)]->slot();
  });
  return out;
}

void Cluster::wake_walsenders(int primary) {
  run_archiver(primary);
  schedule_archive_timeout(primary);
  for (size_t l = 0; l < links_.size(); ++l)
    if (links_[l]->upstream() == primary) send_pending(static_cast<int>(l));
}

void Cluster::send_pending(int l) {
  Link& link = *links_[static_cast<size_t>(l)];
  const Node& up = *nodes_[static_cast<size_t>(link.upstream())];
  if (!link.connected() || !up.running() || !up.is_primary()) return;
  if (link.sent_lsn < up.wal_removed_before() && link.sent_lsn >= link.held_until)
    return lose_wal(l, wal_segment_name(up.timeline(), link.sent_lsn, up.wal().segment_size()));
  const Lsn flush = up.flush_lsn();
  while (link.sent_lsn < flush) {
    const Lsn lsn = link.sent_lsn;
    // A completed segment goes in one message: after a segment switch its tail is padding, and
    // a standby holding the switch record without it would replay past what it has flushed.
    const uint64_t segment_end = (lsn.value / up.wal().segment_size() + 1) * up.wal().segment_size();
    const uint64_t n = segment_end <= flush.value ? segment_end - lsn.value
                                                  : std::min<uint64_t>(flush.value - lsn.value, kMaxSendBytes);
    std::string bytes = up.wal().read(lsn, n);
    const uint64_t generation = link.generation();
    // The zero-filled tail of a switched segment is sent, but costs no wire time here: the
    // harness's loopback links carry a megabyte of it well within a step, while at the model's
    // 1 Gbit/s the two switches of a base backup would hold back the WAL behind them for 16 ms
    // (drill-1.1-unarchived-target: the real replica had the writes that followed the backup).
    const uint64_t timed = segment_end <= flush.value ? bytes.find_last_not_of('\0') + 1 : n;
    world_.after(link.arrival_delay_us(Link::Direction::kToStandby, timed),
                 [this, l, generation, lsn, bytes = std::move(bytes)] { deliver_wal(l, generation, lsn, bytes); });
    link.sent_lsn = Lsn{lsn.value + n};
  }
}

void Cluster::deliver_wal(int l, uint64_t generation, Lsn lsn, const std::string& bytes) {
  Link& link = *links_[static_cast<size_t>(l)];
  if (generation != link.generation() && !arrives_after_crash(l, generation)) return;
  if (link.cut(Link::Direction::kToStandby)) return;
  const Node& s = *nodes_[static_cast<size_t>(link.standby())];
  if (s.run_state() == RunState::kPaused || (s.running() && s.walreceiver_stuck())) {
    // The kernel still accepts data into the frozen (or fsync-bound) walreceiver's socket, up to its buffer.
    auto& held = socket_[l];
    uint64_t size = 0;
    for (const auto& chunk : held) size += chunk.second.size();
    if (size + bytes.size() <= kReceiveBufferBytes) {
      held.emplace_back(lsn, bytes);
    } else {
      link.sent_lsn = std::min(link.sent_lsn, lsn);  // TCP flow control: the rest waits at the sender.
    }
    return;
  }
  if (!s.running()) return;
  receive(l, lsn, bytes);
}

// The walsender had handed the WAL to the wire before its server died: TCP still delivers it
// to the walreceiver, which writes it until the standby is promoted or reconnects elsewhere.
// Whether it arrives before the crash is noticed is the race the profiles' extremes bound.
bool Cluster::arrives_after_crash(int l, uint64_t generation) {
  auto it = crashed_generation_.find(l);
  if (it == crashed_generation_.end() || it->second != generation) return false;
  const Link& link = *links_[static_cast<size_t>(l)];
  const Node& s = *nodes_[static_cast<size_t>(link.standby())];
  if (link.connected() || link.promoted_away || !s.running() || s.is_primary()) return false;
  return timing_.in_flight_survives_crash;
}

void Cluster::receive(int l, Lsn lsn, const std::string& bytes) {
  Link& link = *links_[static_cast<size_t>(l)];
  const int sn = link.standby();
  Node& s = *nodes_[static_cast<size_t>(sn)];
  const Node& up = *nodes_[static_cast<size_t>(link.upstream())];
  if (!s.receive(lsn, bytes)) {
    link.sent_lsn = std::min(link.sent_lsn, s.write_lsn());  // A gap: resend from what it has.
    send_feedback(l);
    return;
  }
  REPLSIM_ASSERT(s.flush_lsn() <= up.flush_lsn() || !up.running(), "a standby never has WAL its primary did not flush");
  send_feedback(l);
  if (s.walreceiver_stuck()) {
    note("{} wrote WAL to {} and reported it, then hangs in fsync: its disk is stalled", s.name(),
         s.write_lsn().to_string());
    update_silence(l);
  }
  schedule_replay(l);
}

// The startup process replays what link `l`'s standby flushed a moment later, and its
// walreceiver reports the new apply position; not if the standby went down or was promoted.
void Cluster::schedule_replay(int l) {
  const int sn = links_[static_cast<size_t>(l)]->standby();
  const uint64_t incarnation = nodes_[static_cast<size_t>(sn)]->incarnation();
  world_.after(kReplayDelayUs, [this, l, sn, incarnation] {
    Node& standby = *nodes_[static_cast<size_t>(sn)];
    if (!standby.running() || standby.is_primary() || standby.incarnation() != incarnation) return;
    if (standby.replay_received(now_epoch_us())) send_feedback(l);
    schedule_delayed_replay(l);
  });
}

void Cluster::send_feedback(int l) {
  Link& link = *links_[static_cast<size_t>(l)];
  const Node& s = *nodes_[static_cast<size_t>(link.standby())];
  if (!link.connected() || !s.running()) return;
  const Lsn write = s.write_lsn(), flush = s.flush_lsn(), apply = s.replay_lsn();
  const uint64_t generation = link.generation();
  world_.after(link.arrival_delay_us(Link::Direction::kToPrimary, kFeedbackBytes),
               [this, l, generation, write, flush, apply] { deliver_feedback(l, generation, write, flush, apply); });
}

void Cluster::deliver_feedback(int l, uint64_t generation, Lsn write, Lsn flush, Lsn apply) {
  Link& link = *links_[static_cast<size_t>(l)];
  if (generation != link.generation() || link.cut(Link::Direction::kToPrimary)) return;
  const Node& up = *nodes_[static_cast<size_t>(link.upstream())];
  if (!up.running()) return;
  REPLSIM_ASSERT(apply <= flush && flush <= write, "a standby reports replay <= flush <= write");
  REPLSIM_ASSERT(flush <= up.flush_lsn(), "a standby never flushed more than its primary did");
  REPLSIM_ASSERT(!link.has_feedback || flush >= link.reported_flush, "reported flush positions are monotonic");
  link.has_feedback = true;
  link.last_reply_us = world_.now_us();
  link.reported_write = write;
  link.reported_flush = flush;
  link.reported_apply = apply;
  if (link.has_slot && !link.slot_invalidated) link.slot_restart_lsn = flush;
  release_waiters(link.upstream(), l);
  send_pending(l);
}

bool Cluster::has_waiters(int primary) const {
  return std::any_of(txs_.begin(), txs_.end(), [primary](const Tx& tx) { return tx.waiting && tx.node == primary; });
}

// syncrep.c, SyncRepReleaseWaiters: only a walsender that is itself synchronous (am_sync)
// releases anybody, when it processes its standby's reply; an asynchronous standby's reply, or
// a walsender's end, releases nobody (the next reply of a synchronous one does).
void Cluster::release_waiters(int primary, int replying_link) {
  const StandbyNames& names = names_on(primary);
  if (!names.enabled()) return;
  // Nobody to release: the decision below would change nothing (it runs on every feedback).
  if (!has_waiters(primary)) return;
  std::vector<WalSenderView> views;
  size_t replying = SIZE_MAX;
  for (int l : walsenders_of(primary)) {
    const Link& link = *links_[static_cast<size_t>(l)];
    if (l == replying_link) replying = views.size();
    views.push_back({nodes_[static_cast<size_t>(link.standby())]->name(), true, link.has_feedback, link.reported_write,
                     link.reported_flush, link.reported_apply});
  }
  const SyncRepDecision decision = decide_sync(names, views);
  if (!decision.can_release) return;
  if (std::find(decision.sync_standbys.begin(), decision.sync_standbys.end(), replying) == decision.sync_standbys.end())
    return;
  for (Tx& tx : txs_) {
    if (!tx.waiting || tx.flush_wait || tx.node != primary) continue;
    if (release_position(decision, tx.level) < tx.record.commit_lsn) continue;
    // The standbys that confirmed it, not every candidate: with ANY, a quorum member that is
    // behind (or cut off) has not.
    std::vector<std::string> confirmers;
    for (size_t i : confirmed_by(decision, views, tx.level, tx.record.commit_lsn))
      confirmers.push_back(views[i].application_name);
    acknowledge(tx, fmt::format("confirmed by {}", fmt::join(confirmers, ", ")));
  }
}

void Cluster::schedule_reconnect(int l) {
  world_.after(timing_.reconnect_delay_us, [this, l] { try_connect(l); });
}

void Cluster::try_connect(int l) {
  Link& link = *links_[static_cast<size_t>(l)];
  if (link.connected() || link.promoted_away || link.partitioned()) return;
  const Node& s = *nodes_[static_cast<size_t>(link.standby())];
  const Node& up = *nodes_[static_cast<size_t>(link.upstream())];
  if (!s.running() || s.is_primary() || s.walreceiver_stuck() || !up.running() || !up.is_primary()) return;
  // Only the startup process starts a walreceiver, from its wait for WAL; while replay is paused
  // it sits in recoveryPausesHere instead (xlogrecovery.c): a lost connection stays lost until
  // resume_replay (differential campaign, seed 9001, run 99: a crash of the primary).
  if (s.replay_paused()) {
    note("{} does not reconnect: its replay is paused, and only the startup process starts a walreceiver", s.name());
    return;
  }
  if (s.flush_lsn() < up.wal_removed_before()) {
    return lose_wal(l, wal_segment_name(up.timeline(), s.flush_lsn(), up.wal().segment_size()));
  }
  if (s.flush_lsn() > up.flush_lsn()) {
    note("{} cannot stream from {}: requested starting point {} is ahead of the WAL flush position {}", s.name(),
         up.name(), s.flush_lsn().to_string(), up.flush_lsn().to_string());
    return;
  }
  int slot = 0;
  for (int other : walsenders_of(link.upstream()))
    if (links_[static_cast<size_t>(other)]->slot() == slot) ++slot;
  link.connect(s.flush_lsn(), slot);
  update_silence(l);
  send_feedback(l);
  send_pending(l);
}

void Cluster::drop_connection(int l) {
  Link& link = *links_[static_cast<size_t>(l)];
  if (!link.connected()) return;
  link.disconnect();
  link.silent_since_us.reset();
  // What already sits in a paused standby's socket stays there: the kernel delivers it after resume.
  schedule_status_replies(link.upstream());
}

void Cluster::schedule_status_replies(int primary) {
  if (!names_on(primary).enabled()) return;
  if (!has_waiters(primary)) return;
  const uint64_t incarnation = nodes_[static_cast<size_t>(primary)]->incarnation();
  world_.after(timing_.status_reply_delay_us, [this, primary, incarnation] {
    if (nodes_[static_cast<size_t>(primary)]->incarnation() != incarnation) return;
    for (int l : walsenders_of(primary)) {
      const Node& s = *nodes_[static_cast<size_t>(links_[static_cast<size_t>(l)]->standby())];
      // A frozen or fsync-bound walreceiver sends nothing.
      if (!s.walreceiver_stuck()) send_feedback(l);
    }
  });
}

// A stopped standby's walreceiver closes its connection, and the walsender sees the end at
// once — unless the partition holds it back: the proxy reads nothing from a standby whose
// replies are cut. Then the walsender streams on to nobody, still counted as a standby by
// synchronous replication and pg_stat_replication, until wal_sender_timeout (update_silence:
// silent since the replies stopped), a heal (the end crosses) or, where the WAL still goes
// out, the reset its messages draw from the closed socket.
void Cluster::end_walreceiver(int l) {
  Link& link = *links_[static_cast<size_t>(l)];
  socket_.erase(l);
  if (!link.connected()) return;
  if (!link.cut(Link::Direction::kToPrimary) ||
      (!link.cut(Link::Direction::kToStandby) && timing_.reset_ends_orphan_at_once))
    return drop_connection(l);
  link.orphaned = true;
  note(
      "{}'s walreceiver is gone, but the partition holds back the end of its connection: the walsender on {} "
      "streams on until wal_sender_timeout",
      nodes_[static_cast<size_t>(link.standby())]->name(), nodes_[static_cast<size_t>(link.upstream())]->name());
  update_silence(l);
}

// A walsender that hears nothing from its standby (cut off, or frozen) for
// wal_sender_timeout terminates; the standby then has to reconnect.
void Cluster::update_silence(int l) {
  Link& link = *links_[static_cast<size_t>(l)];
  const Node& s = *nodes_[static_cast<size_t>(link.standby())];
  const bool silent = link.connected() &&
                      (link.partitioned() || s.run_state() == RunState::kPaused || s.walreceiver_stuck());
  if (!silent) {
    link.silent_since_us.reset();
    return;
  }
  if (link.silent_since_us) return;
  const int64_t since = world_.now_us();
  link.silent_since_us = since;
  const uint64_t generation = link.generation();
  // TimingProfile::silence_counts_from_last_reply: from the real last reply, which is no earlier
  // than the model's last and no earlier than one status interval before the silence.
  const int64_t from = timing_.silence_counts_from_last_reply ? std::max(link.last_reply_us, since - kStatusIntervalUs)
                                                              : since;
  world_.after(from + kWalSenderTimeoutUs - since, [this, l, since, generation] {
    Link& lk = *links_[static_cast<size_t>(l)];
    if (lk.generation() != generation || lk.silent_since_us != since) return;
    note("walsender for {} terminated: wal_sender_timeout", nodes_[static_cast<size_t>(lk.standby())]->name());
    drop_connection(l);
  });
}

// One WAL writer per primary, one flush per cycle (src/backend/postmaster/walwriter.c,
// WalWriterMain: XLogBackgroundFlush, then sleep wal_writer_delay): a commit made while a cycle
// is already due is flushed by that cycle, not by a cycle of its own one delay after it, and a
// commit made just after a cycle waits for the next.
void Cluster::schedule_wal_writer(int primary) {
  const uint64_t incarnation = nodes_[static_cast<size_t>(primary)]->incarnation();
  if (!wal_writer_due_.insert({primary, incarnation}).second) return;
  world_.after(timing_.wal_writer_flush_delay_us, [this, primary, incarnation] {
    wal_writer_due_.erase({primary, incarnation});
    Node& n = *nodes_[static_cast<size_t>(primary)];
    if (!n.running() || !n.is_primary() || n.incarnation() != incarnation) return;
    n.flush_to(n.insert_lsn());
    wake_walsenders(primary);
  });
}

void Cluster::push_instantly(int primary) {
  Node& p = *nodes_[static_cast<size_t>(primary)];
  p.flush_to(p.insert_lsn());
  for (size_t l = 0; l < links_.size(); ++l) {
    Link& link = *links_[l];
    if (link.upstream() != primary || link.promoted_away) continue;
    Node& s = *nodes_[static_cast<size_t>(link.standby())];
    if (!s.running() || s.is_primary() || s.walreceiver_stuck() || s.write_lsn() > p.flush_lsn()) continue;
    const Lsn from = s.write_lsn();
    s.receive(from, p.wal().read(from, p.flush_lsn().value - from.value));
    s.replay_received(now_epoch_us());
    schedule_delayed_replay(static_cast<int>(l));
    send_feedback(static_cast<int>(l));
  }
}

}  // namespace replsim::sim
