#include "sim/world.h"

#include <algorithm>
#include <utility>

#include "vocab/assert.h"

namespace replsim::sim {

// A run schedules a handful of events per WAL message; this many in one run means a loop.
constexpr uint64_t kMaxEventsPerRun = 50'000'000;

World::World(uint64_t seed) : seed_(seed), network_(Prng::sub_seed(seed, "network")) {}

void World::after(int64_t delay_us, std::function<void()> fn) {
  REPLSIM_ASSERT(delay_us >= 0, "events cannot be scheduled in the past");
  REPLSIM_ASSERT(next_sequence_ < kMaxEventsPerRun, "event budget of one run exhausted");
  queue_.push_back(Event{now_us_ + delay_us, next_sequence_++, std::move(fn)});
  std::push_heap(queue_.begin(), queue_.end(), Later{});
}

bool World::run_next(int64_t limit_us) {
  if (queue_.empty() || queue_.front().time_us > limit_us) return false;
  std::pop_heap(queue_.begin(), queue_.end(), Later{});
  Event e = std::move(queue_.back());
  queue_.pop_back();
  REPLSIM_ASSERT(e.time_us >= now_us_, "the virtual clock never goes back");
  now_us_ = e.time_us;
  e.fn();
  return true;
}

void World::run_until(int64_t time_us) {
  REPLSIM_ASSERT(time_us >= now_us_, "run_until cannot go back in time");
  while (run_next(time_us)) {
  }
  now_us_ = time_us;
}

bool World::run_until_true(int64_t deadline_us, const std::function<bool()>& done) {
  if (done()) return true;
  while (run_next(deadline_us)) {
    if (done()) return true;
  }
  now_us_ = std::max(now_us_, deadline_us);
  return done();
}

}  // namespace replsim::sim
