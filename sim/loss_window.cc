#include "sim/loss_window.h"

#include <algorithm>

#include "vocab/assert.h"

namespace replsim::sim {

const char* to_string(StandbySetup setup) {
  switch (setup) {
    case StandbySetup::kAsync: return "async";
    case StandbySetup::kFirst1: return "first1";
    case StandbySetup::kAny1: return "any1";
  }
  return "?";
}

std::optional<StandbySetup> parse_standby_setup(const std::string& text) {
  for (StandbySetup s : {StandbySetup::kAsync, StandbySetup::kFirst1, StandbySetup::kAny1})
    if (text == to_string(s)) return s;
  return std::nullopt;
}

const char* standby_names_of(StandbySetup setup) {
  switch (setup) {
    case StandbySetup::kAsync: return "";
    case StandbySetup::kFirst1: return "FIRST 1 (s1, s2)";
    case StandbySetup::kAny1: return "ANY 1 (s1, s2)";
  }
  return "";
}

namespace {

bool waits_for_standby(SyncCommit level, StandbySetup setup) {
  // 20.5.1: with synchronous_standby_names empty, remote_write, on and remote_apply give only
  // the local flush; off and local never wait for a standby, whatever the setup.
  if (setup == StandbySetup::kAsync) return false;
  return level == SyncCommit::kRemoteWrite || level == SyncCommit::kOn || level == SyncCommit::kRemoteApply;
}

}  // namespace

LossWindow predict_loss_window(const LossWindowInput& in) {
  REPLSIM_ASSERT(in.one_way_latency_us >= 0 && in.tps >= 0 && in.wal_writer_delay_us > 0,
                 "predict_loss_window: negative latency or tps");
  LossWindow out;
  // What an acknowledged commit still needs to reach the standby when nobody waits for it:
  // the walsender sends only flushed WAL, then the bytes cross the link once (27.2.5).
  const int64_t to_standby_us = in.one_way_latency_us + kSendProcessingUs;
  if (in.level == SyncCommit::kOff) {
    // 30.4: the commit is acknowledged before its WAL is written; the WAL writer writes it within
    // wal_writer_delay, at worst three times that. Unwritten WAL dies with the primary's process,
    // so these commits are lost even with no standby; then the link adds its delay.
    out.window_us = in.wal_writer_delay_us + to_standby_us;
    out.window_worst_us = 3 * in.wal_writer_delay_us + to_standby_us;
    out.rule =
        "off: acknowledged before the WAL write; the WAL writer writes within wal_writer_delay, "
        "3x at worst (30.4), then the standby lags by the link (27.2.5)";
  } else if (!waits_for_standby(in.level, in.setup)) {
    out.window_us = out.window_worst_us = to_standby_us;
    out.rule = in.setup == StandbySetup::kAsync
                   ? "no synchronous standby: every level is a local flush (20.5.1); the standby lags by "
                     "one link crossing (27.2.5)"
                   : "local: flushed locally, not waiting for the sync standby (20.5.1); the standby lags by "
                     "one link crossing (27.2.5)";
  } else {
    // 27.2.8: the commit is acknowledged only once a synchronous standby has it (written for
    // remote_write, flushed for on, applied for remote_apply). A crash of the primary alone, with
    // failover to that standby, loses no acknowledged commit.
    out.window_us = out.window_worst_us = 0;
    out.rule = "waits for the synchronous standby (27.2.8): no acknowledged commit is only on the primary";
  }
  out.transactions = static_cast<double>(out.window_us) * in.tps / 1e6;
  out.transactions_worst = static_cast<double>(out.window_worst_us) * in.tps / 1e6;

  if (waits_for_standby(in.level, in.setup)) {
    out.blocks_under_partition = true;
    const int64_t window = in.partition_window_us;
    if (in.setup == StandbySetup::kFirst1) {
      // 20.6.2 / 27.2.8.2: FIRST 1 uses s1 while its walsender streams; s2 only becomes the sync
      // standby when s1's walsender is gone, which in a silent partition takes wal_sender_timeout
      // (20.6.1). The waiting commits are then released by s2's acknowledgement (one round trip).
      const int64_t failover_us = in.wal_sender_timeout_us + 2 * in.one_way_latency_us;
      out.stall_us = window > 0 ? std::min(window, failover_us) : failover_us;
      out.released_by = window > 0 && window <= failover_us ? "heal" : "failover";
    } else {
      // ANY 1 with both s1 and s2 partitioned: no standby can acknowledge until the heal (27.2.8.4).
      out.stall_us = window;
      out.released_by = "heal";
    }
  }
  return out;
}

}  // namespace replsim::sim
