// Link: one replication connection between a primary (its walsender) and a standby (its
// walreceiver), over a network with latency and bandwidth that a partition can cut in
// either direction. The link only models the wire and the connection's state; Cluster
// decides what flows over it. Messages carry the connection's generation: a message from
// an earlier connection (before a reconnect) is dropped on arrival, as TCP would.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sim/world.h"
#include "vocab/lsn.h"

namespace replsim::sim {

// 1 Gbit/s: far more than the scenarios' WAL rates, so bandwidth matters only for bulk catch-up.
inline constexpr int64_t kLinkBytesPerUs = 125;

class Link {
 public:
  // `world` must outlive the link.
  Link(World& world, int upstream, int standby, int64_t latency_us);

  int upstream() const { return upstream_; }
  int standby() const { return standby_; }

  // When a message of `bytes` sent now in `direction` arrives: after the bytes ahead of it
  // on the wire, its own transmission time and the latency (plus a little seeded jitter).
  enum class Direction { kToStandby, kToPrimary };
  int64_t arrival_delay_us(Direction direction, uint64_t bytes);

  // Partitions: a cut direction silently drops what crosses it (a proxy holding bytes).
  bool cut(Direction d) const { return d == Direction::kToStandby ? cut_to_standby_ : cut_to_primary_; }
  bool partitioned() const { return cut_to_standby_ || cut_to_primary_; }
  void set_cut(bool to_standby, bool to_primary) {
    cut_to_standby_ = to_standby;
    cut_to_primary_ = to_primary;
  }

  // The connection (walsender on the primary, walreceiver on the standby).
  bool connected() const { return connected_; }
  uint64_t generation() const { return generation_; }
  void connect(Lsn start, int slot);
  void disconnect();
  int slot() const { return slot_; }  // Position in the primary's WalSnd array (connection order).

  // The walsender's side.
  Lsn sent_lsn;  // Everything before it has been handed to the wire.
  // What the standby last reported (pg_stat_replication's write/flush/replay_lsn).
  bool has_feedback = false;
  Lsn reported_write, reported_flush, reported_apply;
  // Since when no reply can reach the walsender (to_primary cut, standby paused), if so.
  std::optional<int64_t> silent_since_us;
  // When the walsender last had a reply (virtual time; 0 before the first).
  int64_t last_reply_us = 0;

  // The walreceiver has gone (its standby stopped) but a partition held back the connection's
  // end: the walsender still streams to nobody and counts as a standby until it learns.
  bool orphaned = false;

  bool promoted_away = false;  // The standby was promoted (or restored): it never reconnects.

  // The standby's physical replication slot on the primary, if it streams through one: the
  // primary keeps WAL from restart_lsn (the standby's reported flush) unless invalidated.
  bool has_slot = false;
  Lsn slot_restart_lsn;
  bool slot_invalidated = false;
  // The WAL the standby needs was removed from the primary: it can never catch up by streaming.
  bool wal_removed = false;
  // Bytes before this were read by the walsender before a partition held them (in the proxy):
  // resending them after the heal needs no WAL from the primary's pg_wal.
  Lsn held_until;

 private:
  World& world_;
  int upstream_;
  int standby_;
  int64_t latency_us_;
  bool cut_to_standby_ = false;
  bool cut_to_primary_ = false;
  bool connected_ = false;
  uint64_t generation_ = 0;
  int slot_ = -1;
  int64_t busy_until_us_[2] = {0, 0};
  int64_t last_arrival_us_[2] = {0, 0};  // Arrivals keep their order, as TCP delivers.
};

}  // namespace replsim::sim
