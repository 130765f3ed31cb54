// TimingProfile: the timing facts a real cluster does not pin down at millisecond scale,
// made explicit. The simulator runs a scenario once per profile and where the profiles
// disagree it predicts "either" (docs/model.md, "Timing and either").
#pragma once

#include <cstdint>
#include <vector>

namespace replsim::sim {

// Commit timestamps are microseconds since the Unix epoch; a run starts at 2026-01-01 00:00 UTC.
inline constexpr int64_t kEpochUs = 1'767'225'600'000'000;

// Fixed timings of the model, PostgreSQL's settings as the harness configures them.
inline constexpr int64_t kStepGapUs = 1000;                      // Between two scenario steps.
inline constexpr int64_t kWalWriterDelayUs = 200'000;            // wal_writer_delay (default 200ms).
inline constexpr int64_t kWalRetrieveRetryIntervalUs = 100'000;  // wal_retrieve_retry_interval = 100ms.
inline constexpr int64_t kWalSenderTimeoutUs = 2'000'000;        // wal_sender_timeout = 2s, as the harness sets it.
inline constexpr int64_t kReplayDelayUs = 10;                    // Startup process picks up flushed WAL.
inline constexpr uint64_t kReceiveBufferBytes = 212'992;         // Linux's default socket receive buffer.
inline constexpr int64_t kCatchupLimitUs = 10'000'000;           // `catchup` gives up after 10 s.
inline constexpr int64_t kCleanStopLimitUs = 1'000'000;          // A clean stop waits this long for walsenders.

struct TimingProfile {
  const char* name;
  // After an asynchronous (synchronous_commit = off) commit, when the WAL writer flushes it.
  int64_t wal_writer_flush_delay_us;
  // After a heal, resume or restart, when the walreceiver's next connection attempt happens.
  int64_t reconnect_delay_us;
};

// The slow profile first: its run supplies the printed timeline; the fast one shows what
// else timing allows.
inline std::vector<TimingProfile> timing_profiles() {
  return {{"slow", kWalWriterDelayUs, kWalRetrieveRetryIntervalUs}, {"fast", 10, kStepGapUs / 4}};
}

}  // namespace replsim::sim
