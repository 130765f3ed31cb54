// World: owns the simulation's virtual clock, its randomness and its event queue. Nodes and
// links hold a reference to it; nothing in sim/ reads a wall clock or starts a thread.
// Events run in (time, insertion sequence) order, so a run is a pure function of the seed.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "sim/prng.h"

namespace replsim::sim {

class World {
 public:
  explicit World(uint64_t seed);
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  uint64_t seed() const { return seed_; }
  int64_t now_us() const { return now_us_; }

  // The PRNG of one subsystem, seeded from the master seed and the subsystem's name.
  Prng& network_prng() { return network_; }

  // Runs `fn` at now + delay_us. REQUIRES: delay_us >= 0.
  void after(int64_t delay_us, std::function<void()> fn);
  // Runs every event due at or before `time_us`, then sets the clock to it.
  // REQUIRES: time_us >= now_us().
  void run_until(int64_t time_us);
  // Runs events until `done()` holds (checked after each event) or the clock would pass
  // `deadline_us`; returns whether done() held. Bounded by the deadline.
  bool run_until_true(int64_t deadline_us, const std::function<bool()>& done);
  size_t pending_events() const { return queue_.size(); }

 private:
  struct Event {
    int64_t time_us;
    uint64_t sequence;
    std::function<void()> fn;
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.time_us != b.time_us ? a.time_us > b.time_us : a.sequence > b.sequence;
    }
  };
  bool run_next(int64_t limit_us);

  uint64_t seed_;
  int64_t now_us_ = 0;
  uint64_t next_sequence_ = 0;
  Prng network_;
  // A binary heap (std::push_heap/pop_heap with Later) rather than a std::priority_queue, whose
  // top() is const: the next event is moved out, not copied with its closure (WAL bytes).
  std::vector<Event> queue_;
};

}  // namespace replsim::sim
