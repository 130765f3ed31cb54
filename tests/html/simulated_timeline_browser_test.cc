// Drill 2.1 as the simulator predicts it (replsim::sim), rendered in headless Chromium: the
// page the `replsim run --html` user sees. The prediction must show charlie acknowledged on
// the primary and lost on the promoted replica, and the page must run without script errors.
#include <gtest/gtest.h>

#include "cli/html_timeline.h"
#include "drill_fixture.h"
#include "sim/simulator.h"
#include "timeline_browser_check.h"

namespace replsim::testing {
namespace {

TEST(SimulatedTimelineBrowserTest, Drill21PredictionFromTheSimulatorRendersAndShowsCharlieLost) {
  const Scenario scenario = drill_2_1_scenario();
  auto predicted = sim::simulate(scenario, sim::SimOptions{});
  ASSERT_TRUE(predicted.ok()) << predicted.status().message();
  const TxRecord* charlie = predicted->find_tx("charlie");
  ASSERT_NE(charlie, nullptr);
  EXPECT_EQ(cli::tx_fate(predicted.value(), *charlie), cli::TxFate::kLost);
  const std::string html = cli::render_timeline_html(scenario, &predicted.value(), nullptr);
  check_page_in_browser(html, "drill-2.1-simulated", static_cast<int>(predicted->transactions.size()));
}

}  // namespace
}  // namespace replsim::testing
