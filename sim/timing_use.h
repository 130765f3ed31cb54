// TimingUse: a run's TimingProfile that records whether the run ever read one of the
// profile's values. A run is a pure function of (scenario, seed, timing profile): if it never
// read a timing value, another profile would have run exactly the same way, so the simulator
// need not run it (simulate(), SimOptions::profiles). Call sites read the fields as they would
// a TimingProfile's (`timing_.reconnect_delay_us`); each read marks the run.
#pragma once

#include <cstdint>

#include "sim/timing.h"

namespace replsim::sim {

// Every field that differs between profiles must be a TimingUse::Value, or a run could depend
// on it unseen: a new TimingProfile field fails this until TimingUse has it too.
// The step times are the exception, read through step_us() and marked by the caller
// (Cluster::end_step) only when they could matter.
// (The four bools share one int64_t's room.)
static_assert(sizeof(TimingProfile) == sizeof(const char*) + 4 * sizeof(int64_t) + 3 * sizeof(StepTimes),
              "a new TimingProfile field needs a TimingUse::Value (timing_use.h)");

class TimingUse {
 public:
  // One value of the profile: converting it to what it holds marks it read.
  template <typename T>
  class Value {
   public:
    explicit Value(T value) : value_(value) {}
    operator T() const {  // NOLINT(google-explicit-constructor): reads look like TimingProfile's.
      read_ = true;
      return value_;
    }
    bool read() const { return read_; }

   private:
    T value_;
    mutable bool read_ = false;
  };

  explicit TimingUse(const TimingProfile& profile)
      : name(profile.name),
        wal_writer_flush_delay_us(profile.wal_writer_flush_delay_us),
        reconnect_delay_us(profile.reconnect_delay_us),
        in_flight_survives_crash(profile.in_flight_survives_crash),
        reverse_equal_priority(profile.reverse_equal_priority),
        reset_ends_orphan_at_once(profile.reset_ends_orphan_at_once),
        silence_counts_from_last_reply(profile.silence_counts_from_last_reply),
        status_reply_delay_us(profile.status_reply_delay_us),
        steps_(profile) {}

  // Whether the run read anything that differs between profiles.
  bool read() const {
    return name.read() || wal_writer_flush_delay_us.read() || reconnect_delay_us.read() ||
           in_flight_survives_crash.read() || reverse_equal_priority.read() || reset_ends_orphan_at_once.read() ||
           silence_counts_from_last_reply.read() || status_reply_delay_us.read() || steps_read_;
  }

  // A step's time in this profile, and the least and most in any: reading them does not mark
  // the run. The caller marks it (mark_step_time_read) when the difference could matter: when
  // something is still pending after the least time (Cluster::end_step).
  int64_t step_us(StepKind k) const { return steps_.step_us[static_cast<size_t>(k)]; }
  int64_t step_floor_us(StepKind k) const { return steps_.step_floor_us[static_cast<size_t>(k)]; }
  int64_t step_ceiling_us(StepKind k) const { return steps_.step_ceiling_us[static_cast<size_t>(k)]; }
  void mark_step_time_read() { steps_read_ = true; }

  Value<const char*> name;
  Value<int64_t> wal_writer_flush_delay_us;
  Value<int64_t> reconnect_delay_us;
  Value<bool> in_flight_survives_crash;
  Value<bool> reverse_equal_priority;
  Value<bool> reset_ends_orphan_at_once;
  Value<bool> silence_counts_from_last_reply;
  Value<int64_t> status_reply_delay_us;

 private:
  TimingProfile steps_;
  bool steps_read_ = false;
};

}  // namespace replsim::sim
