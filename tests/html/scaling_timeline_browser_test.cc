// Pages that scale and waits that show, in headless Chromium, from the simulator's runs:
// - a 100-step scenario (a repeat of 20 blocked inserts, 76 marks, a heal): the chart fits the
//   1400 px window (no sideways overflow of the page), no two labels of the chart overlap
//   (their boxes measured in the DOM by a small script added to the page), and the band of
//   the waiting commits is there with its label;
// - the course's sync chapter (scenarios/sync-commit-released-by-heal.yaml): dora's wait is a
//   band labelled with its duration. Its screenshot is docs/timeline-sync-commit-released-by-heal.png
//   (regenerate with REPLSIM_SCREENSHOT_DIR=docs and --gtest_filter='ScalingTimeline*').
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "cli/html_timeline.h"
#include "drill_fixture.h"
#include "headless_chromium.h"
#include "sim/simulator.h"
#include "timeline_browser_check.h"
#include "vocab/scenario_parser.h"

namespace replsim::testing {
namespace {

// Measures the rendered chart and writes what it found on <body>: the SVG's right edge, the
// window's and the document's widths, how many labels the chart has and how many pairs overlap
// (by more than half a pixel each way), and the first wait band's label.
const char* kMeasure = R"(<script>
(function () {
  var b = document.body, svg = document.getElementById('timeline');
  b.setAttribute('data-svg-right', String(Math.round(svg.getBoundingClientRect().right)));
  b.setAttribute('data-viewport', String(window.innerWidth));
  b.setAttribute('data-scroll-width', String(document.documentElement.scrollWidth));
  var boxes = [], texts = [], all = svg.querySelectorAll('text.lbl');
  for (var i = 0; i < all.length; i++) {
    var r = all[i].getBoundingClientRect();
    if (r.width > 0) { boxes.push(r); texts.push(all[i].textContent); }
  }
  var overlaps = 0, first = '';
  for (var i = 0; i < boxes.length; i++)
    for (var j = i + 1; j < boxes.length; j++) {
      var a = boxes[i], c = boxes[j];
      if (a.left < c.right - 0.5 && c.left < a.right - 0.5 && a.top < c.bottom - 0.5 && c.top < a.bottom - 0.5) {
        if (!overlaps) first = texts[i] + ' / ' + texts[j];
        overlaps++;
      }
    }
  b.setAttribute('data-labels', String(boxes.length));
  b.setAttribute('data-overlaps', String(overlaps));
  b.setAttribute('data-overlap-first', first);
  var w = svg.querySelector('.wait .wait-label');
  b.setAttribute('data-wait-label', w ? w.textContent : '');
})();
</script>
</body>)";

std::string with_measure(std::string html) {
  const size_t at = html.rfind("</body>");
  if (at != std::string::npos) html.replace(at, 7, kMeasure);
  return html;
}

std::string body_attribute(const std::string& dom, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(dom, m, std::regex("<body[^>]*\\s" + name + "=\"([^\"]*)\""))) return "";
  return m[1];
}

Scenario hundred_steps() {
  std::string yaml = R"yaml(name: hundred-steps
description: FIRST 1 (replica) cut off while 20 inserts block, 76 marks, then the heal releases them.
cluster:
  primary: primary
  standbys: [replica]
  synchronous_commit: "on"
  synchronous_standby_names: "FIRST 1 (replica)"
  data: seed
steps:
  - catchup
  - partition: replica
  - insert: w
    table: customers
    values: {firstName: W, lastName: Burst, email: w@example.com}
    repeat: 20
)yaml";
  for (int i = 1; i <= 76; ++i) yaml += "  - mark: point_" + std::to_string(i) + "\n";
  yaml += "  - heal: replica\n  - catchup\n";
  auto parsed = parse_scenario_text(yaml, "hundred-steps.yaml");
  EXPECT_TRUE(parsed.ok()) << parsed.status().message();
  return parsed.ok() ? std::move(parsed).value() : Scenario{};
}

TEST(ScalingTimelineBrowserTest, AHundredStepPageFitsKeepsItsLabelsApartAndShowsTheWait) {
  const Scenario scenario = hundred_steps();
  ASSERT_EQ(scenario.steps.size(), 100u);
  auto predicted = sim::simulate(scenario, sim::SimOptions{});
  ASSERT_TRUE(predicted.ok()) << predicted.status().message();
  for (const auto axis : {cli::TimelineAxis::kAuto, cli::TimelineAxis::kSteps}) {
    SCOPED_TRACE(axis == cli::TimelineAxis::kAuto ? "auto axis" : "step axis");
    const std::string html = cli::render_timeline_html(scenario, &predicted.value(), nullptr, cli::PageBanner{}, axis);
    const std::string dom = check_page_renders(
        with_measure(html),
        axis == cli::TimelineAxis::kAuto ? "timeline-hundred-steps" : "timeline-hundred-steps-by-step",
        static_cast<int>(predicted->transactions.size()), /*keep_html=*/false);
    ASSERT_FALSE(dom.empty());
    const int viewport = std::stoi("0" + body_attribute(dom, "data-viewport"));
    ASSERT_EQ(viewport, 1400);
    EXPECT_LE(std::stoi("0" + body_attribute(dom, "data-svg-right")), viewport) << "the chart overflows sideways";
    EXPECT_LE(std::stoi("0" + body_attribute(dom, "data-scroll-width")), viewport) << "the page scrolls sideways";
    EXPECT_GT(std::stoi("0" + body_attribute(dom, "data-labels")), 20);
    EXPECT_EQ(body_attribute(dom, "data-overlaps"), "0")
        << "labels of the chart overlap, first " << body_attribute(dom, "data-overlap-first");
    // The 20 inserts wait together from step 3 to the heal: one band, labelled with its duration.
    EXPECT_NE(dom.find("class=\"tip wait\""), std::string::npos);
    EXPECT_TRUE(
        std::regex_search(body_attribute(dom, "data-wait-label"), std::regex("^20 commits waited up to [0-9.]+ s")))
        << body_attribute(dom, "data-wait-label");
    // The repeat is one column on the axis.
    EXPECT_NE(html.find("steps 3–22: 20 × insert customers"), std::string::npos);
  }
}

TEST(ScalingTimelineBrowserTest, TheSyncChaptersPageShowsDoraWaitingUntilTheHeal) {
  auto parsed = parse_scenario_file(source_path("scenarios/sync-commit-released-by-heal.yaml"));
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  Scenario scenario = std::move(parsed).value();
  scenario.file = "scenarios/sync-commit-released-by-heal.yaml";
  auto predicted = sim::simulate(scenario, sim::SimOptions{});
  ASSERT_TRUE(predicted.ok()) << predicted.status().message();
  const std::string dom = check_page_renders(
      with_measure(cli::render_timeline_html(scenario, &predicted.value(), nullptr)),
      "timeline-sync-commit-released-by-heal", 1, /*keep_html=*/false);
  ASSERT_FALSE(dom.empty());
  EXPECT_NE(dom.find(R"(data-wait="dora" data-node="primary" data-open="no")"), std::string::npos);
  EXPECT_TRUE(std::regex_search(body_attribute(dom, "data-wait-label"), std::regex("^dora waited 5\\.[0-9] s$")))
      << body_attribute(dom, "data-wait-label");
  EXPECT_EQ(body_attribute(dom, "data-overlaps"), "0") << body_attribute(dom, "data-overlap-first");
  EXPECT_NE(dom.find(R"(data-label="dora" data-fate="acknowledged-kept")"), std::string::npos);
}

TEST(ScalingTimelineBrowserTest, TheSyncChaptersScreenshotIsInDocs) {
  EXPECT_EQ(png_size(source_path("docs/timeline-sync-commit-released-by-heal.png")), std::make_pair(1400, 900))
      << "regenerate with REPLSIM_SCREENSHOT_DIR=docs build/tests/html/html_simulated_timeline_browser_test "
         "--gtest_filter='ScalingTimeline*'";
}

}  // namespace
}  // namespace replsim::testing
