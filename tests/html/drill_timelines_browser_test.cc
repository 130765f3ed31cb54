// Every drill's timeline page in a real browser. The drills are found by globbing
// scenarios/drill-*.yaml, so a new drill is covered the day its file lands. For each, the
// simulator's prediction (seed 1, as `replsim run --html` draws it) is rendered in headless
// Chromium: the page must run its script without errors, draw a mark for every transaction
// with the fate the prediction gives it, and give a full-size screenshot. The screenshots
// are the pictures in docs/ (docs/timeline-drill-<x>.png); regenerate them from the checkout
// with REPLSIM_SCREENSHOT_DIR=docs and --gtest_filter='DrillTimelines*' (docs/timelines.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/html_timeline.h"
#include "drill_fixture.h"
#include "headless_chromium.h"
#include "sim/simulator.h"
#include "timeline_browser_check.h"
#include "vocab/scenario_parser.h"

namespace replsim::testing {
namespace {

// The drill scenarios' file names (drill-2.1-replication-lag.yaml, ...), sorted.
std::vector<std::string> drill_files() {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(source_path("scenarios"), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("drill-", 0) == 0 && entry.path().extension() == ".yaml") files.push_back(name);
  }
  std::sort(files.begin(), files.end());
  return files;
}

// docs/timeline-drill-2.1-replication-lag.png for drill-2.1-replication-lag.yaml.
std::string screenshot_name(const std::string& file) {
  return "timeline-" + std::filesystem::path(file).stem().string();
}

TEST(DrillTimelinesTest, TheDrillsAreFound) {
  const std::vector<std::string> files = drill_files();
  // The glob must see the drills that exist since the start; a wrong directory finds none.
  EXPECT_NE(std::find(files.begin(), files.end(), "drill-2.1-replication-lag.yaml"), files.end());
  EXPECT_NE(std::find(files.begin(), files.end(), "drill-2.1-sync.yaml"), files.end());
}

TEST(DrillTimelinesTest, EveryDrillsPageRendersInChromiumWithEveryTransactionsFate) {
  const std::vector<std::string> files = drill_files();
  ASSERT_FALSE(files.empty()) << "no scenarios/drill-*.yaml under " << source_path("scenarios");
  for (const std::string& file : files) {
    SCOPED_TRACE("scenarios/" + file);
    auto parsed = parse_scenario_file(source_path("scenarios/" + file));
    ASSERT_TRUE(parsed.ok()) << parsed.status().message();
    Scenario scenario = std::move(parsed).value();
    scenario.file = "scenarios/" + file;  // As `replsim run` from the checkout shows it.
    auto predicted = sim::simulate(scenario, sim::SimOptions{});
    ASSERT_TRUE(predicted.ok()) << predicted.status().message();
    const std::string html = cli::render_timeline_html(scenario, &predicted.value(), nullptr);
    const std::string dom = check_page_renders(html, screenshot_name(file),
                                               static_cast<int>(predicted->transactions.size()), /*keep_html=*/false);
    ASSERT_FALSE(dom.empty());
    for (const TxRecord& tx : predicted->transactions) {
      const std::string mark = std::string("data-run=\"predicted\" data-label=\"") + tx.label + "\" data-fate=\"" +
                               cli::fate_id(cli::tx_fate(predicted.value(), tx)) + "\"";
      EXPECT_NE(dom.find(mark), std::string::npos) << "no mark " << mark << " in the DOM";
    }
  }
}

// The pictures the course and docs/timelines.md show: one per drill, committed in docs/.
TEST(DrillTimelinesTest, EveryDrillHasItsScreenshotInDocs) {
  for (const std::string& file : drill_files()) {
    const std::string png = source_path("docs/" + screenshot_name(file) + ".png");
    EXPECT_EQ(png_size(png), std::make_pair(1400, 900))
        << png << " is missing or not a 1400x900 PNG; regenerate with REPLSIM_SCREENSHOT_DIR=docs "
        << "build/tests/html/html_simulated_timeline_browser_test --gtest_filter='DrillTimelines*'";
  }
}

}  // namespace
}  // namespace replsim::testing
