// TimingProfile: the timing facts a real cluster does not pin down at millisecond scale,
// made explicit. The simulator runs a scenario once per profile and where the profiles
// disagree it predicts "either" (docs/model.md, "Timing and either").
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "vocab/scenario.h"
#include "vocab/timing_profile.h"

namespace replsim::sim {

// Commit timestamps are microseconds since the Unix epoch; a run starts at 2026-01-01 00:00 UTC.
inline constexpr int64_t kEpochUs = 1'767'225'600'000'000;

// Fixed timings of the model, PostgreSQL's settings as the harness configures them.
inline constexpr int64_t kStepGapUs = 1000;                      // Between two scenario steps.
inline constexpr int64_t kWalWriterDelayUs = 200'000;            // wal_writer_delay (default 200ms).
inline constexpr int64_t kWalRetrieveRetryIntervalUs = 100'000;  // wal_retrieve_retry_interval = 100ms.
inline constexpr int64_t kWalSenderTimeoutUs = 2'000'000;        // wal_sender_timeout = 2s, as the harness sets it.
inline constexpr int64_t kStatusIntervalUs = 1'000'000;   // wal_receiver_status_interval = 1s, as the harness sets it.
inline constexpr int64_t kReplayDelayUs = 10;             // Startup process picks up flushed WAL.
inline constexpr uint64_t kReceiveBufferBytes = 212'992;  // Linux's default socket receive buffer.
inline constexpr int64_t kCatchupLimitUs = 10'000'000;    // `catchup` gives up after 10 s.
inline constexpr int64_t kCleanStopLimitUs = 1'000'000;   // A clean stop waits this long for walsenders.

// Virtual time per step kind (indexed by StepKind).
using StepTimes = std::array<int64_t, kStepKindCount>;

struct TimingProfile {
  const char* name;
  // After an asynchronous (synchronous_commit = off) commit, when the WAL writer flushes it.
  int64_t wal_writer_flush_delay_us;
  // After a heal, resume or restart, when the walreceiver's next connection attempt happens.
  int64_t reconnect_delay_us;
  // WAL that a crashed primary's walsender had already sent still reaches its standby (the
  // wire, or the harness's proxy, holds it), as long as the standby is not promoted first.
  bool in_flight_survives_crash;
  // Among standbys of equal priority (synchronous_standby_names = '*', or a name listed twice),
  // which are synchronous depends on their walsenders' slots, i.e. on when each connected
  // (SyncRepGetCandidateStandbys sorts by priority, then slot): both extremes take them in the
  // model's slot order, and where a tie decided, simulate() runs each extreme again with them
  // reversed, so that a tie that decides is "either" at either extreme of timing.
  bool reverse_equal_priority;
  // A standby stopped behind a partition that cuts only its replies: its walsender learns it
  // is gone only when its own messages draw a TCP reset from the closed socket, somewhere
  // between the stop and wal_sender_timeout. The fast profile has it at the stop, the slow one
  // at the timeout (a partition that also cuts the other way always waits for the timeout).
  bool reset_ends_orphan_at_once;
  // wal_sender_timeout counts from the walsender's last reply (walsender.c, WalSndCheckTimeOut:
  // last_reply_timestamp), and an idle standby also replies every wal_receiver_status_interval
  // (1 s), which the model does not send: the real last reply before a partition or pause lies
  // between the model's last one (at most 1 s before the silence began) and the silence's
  // start. The fast profile counts from the earliest, the slow one from the start.
  bool silence_counts_from_last_reply;
  // When the synchronous standbys change because a walsender ended, a waiting commit is
  // released only by a reply from a standby that is now synchronous (syncrep.c,
  // SyncRepReleaseWaiters returns unless am_sync); that standby's next status reply comes at
  // most wal_receiver_status_interval (1 s, as the harness sets it) after its last: the fast
  // profile has it at once, the slow one after the whole interval.
  int64_t status_reply_delay_us;
  // The virtual time a step of each kind takes in this profile, after its action; and the
  // least and most it takes in any profile (docs/model.md, "Timing and either").
  StepTimes step_us;
  StepTimes step_floor_us;
  StepTimes step_ceiling_us;
};

// The two extremes of `measured` (docs/model.md, "Timing and either"). The slow profile first:
// replication as slow as the profile allows against the client (steps at their minimum, WAL
// writer and reconnection at their slowest, WAL in flight lost at a crash); its run supplies
// the printed timeline. The fast one is the opposite extreme. Without a profile (nullptr)
// every step takes kStepGapUs in both, as the model did before profiles were read.
std::vector<TimingProfile> timing_profiles(const MeasuredTiming* measured);

}  // namespace replsim::sim
