#include "sim/world.h"

#include <gtest/gtest.h>

#include <string>

namespace replsim::sim {
namespace {

TEST(WorldTest, EventsRunInTimeThenInsertionOrder) {
  World w(1);
  std::string order;
  w.after(20, [&] { order += "c"; });
  w.after(10, [&] { order += "a"; });
  w.after(10, [&] { order += "b"; });
  w.run_until(100);
  EXPECT_EQ(order, "abc");
  EXPECT_EQ(w.now_us(), 100);
}

TEST(WorldTest, RunUntilLeavesLaterEventsQueued) {
  World w(1);
  int ran = 0;
  w.after(50, [&] { ++ran; });
  w.run_until(49);
  EXPECT_EQ(ran, 0);
  EXPECT_EQ(w.pending_events(), 1u);
  w.run_until(50);
  EXPECT_EQ(ran, 1);
}

TEST(WorldTest, EventsMayScheduleEvents) {
  World w(1);
  int64_t when = -1;
  w.after(5, [&] { w.after(5, [&] { when = w.now_us(); }); });
  w.run_until(20);
  EXPECT_EQ(when, 10);
}

TEST(WorldTest, RunUntilTrueStopsAtTheConditionOrTheDeadline) {
  World w(1);
  int n = 0;
  for (int i = 1; i <= 10; ++i) w.after(i * 10, [&] { ++n; });
  EXPECT_TRUE(w.run_until_true(1000, [&] { return n == 3; }));
  EXPECT_EQ(w.now_us(), 30);
  EXPECT_FALSE(w.run_until_true(60, [&] { return n == 100; }));
  EXPECT_EQ(w.now_us(), 60);
}

}  // namespace
}  // namespace replsim::sim
