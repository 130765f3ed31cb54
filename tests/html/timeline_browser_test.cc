// Drill 2.1's timeline page in a real browser: Debian's Chromium, headless, renders it
// without a script error (the page's own script marks <body data-rendered="ok"> when it ran
// and window.onerror records data-errors), shows charlie as acknowledged and lost, and
// gives a full-size screenshot. Needs no PostgreSQL; needs scripts/setup-browser.sh.
#include <gtest/gtest.h>

#include "cli/html_timeline.h"
#include "drill_fixture.h"
#include "timeline_browser_check.h"

namespace replsim::testing {
namespace {

TEST(TimelineBrowserTest, Drill21PredictionRendersAndShowsCharlieLost) {
  const Scenario scenario = drill_2_1_scenario();
  const RunResult predicted = drill_2_1_result("hand-written prediction");
  check_page_in_browser(cli::render_timeline_html(scenario, &predicted, nullptr), "drill-2.1-predicted",
                        /*marks=*/1);
}

TEST(TimelineBrowserTest, Drill21VerifyPageWithBothRunsRendersAndShowsCharlieLost) {
  const Scenario scenario = drill_2_1_scenario();
  const RunResult predicted = drill_2_1_result("hand-written prediction");
  const RunResult observed = drill_2_1_result("hand-written observation", 0x5000028, 40000);
  check_page_in_browser(cli::render_timeline_html(scenario, &predicted, &observed), "drill-2.1-verify",
                        /*marks=*/2);
}

}  // namespace
}  // namespace replsim::testing
