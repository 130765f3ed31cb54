// The plots and the --html DIR index page in headless Chromium, as a reader gets them: the
// lag and throughput plots under drill 2.1's lanes (the simulator's prediction), the compare
// page's latency CDF, over-time plots and numbered scatter, and the index page that
// `replsim run FILE... --html DIR/` writes. A measuring script is added to each page copy
// (never to the product's pages) to read the rendered geometry: every mark drawn with a
// size, no two tick labels and no two scatter numbers overlapping. With
// REPLSIM_SCREENSHOT_DIR=docs the pictures of docs/timelines.md and docs/compare.md are
// written (timeline-plots-drill-2.1.png, compare-plots.png, index-page.png; the *-page.png
// beside them are whole pages, not used by the docs).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "cli/compare_report.h"
#include "cli/html_timeline.h"
#include "cli/plot_compare.h"
#include "cli/plot_timeline.h"
#include "cli/timeline_layout.h"
#include "drill_fixture.h"
#include "headless_chromium.h"
#include "sim/simulator.h"
#include "timeline_browser_check.h"

namespace replsim::testing {
namespace {

// Sets data-drawn (marks with a non-empty box) and data-tick-overlaps on every svg.plot,
// data-num-overlaps (scatter numbers whose boxes intersect) and data-measured on <body>.
constexpr const char* kMeasureScript = R"(<script>
(function () {
  function overlaps(rects) {
    var n = 0;
    for (var i = 0; i < rects.length; i++)
      for (var j = i + 1; j < rects.length; j++)
        if (rects[i].left < rects[j].right && rects[j].left < rects[i].right &&
            rects[i].top < rects[j].bottom && rects[j].top < rects[i].bottom) n++;
    return n;
  }
  function boxes(root, sel) {
    return Array.prototype.map.call(root.querySelectorAll(sel), function (t) { return t.getBoundingClientRect(); });
  }
  document.querySelectorAll('svg.plot').forEach(function (svg) {
    var drawn = 0;
    svg.querySelectorAll('.plot-line,.plot-bar,.plot-band,.plot-point').forEach(function (e) {
      var b = e.getBBox();
      if (b.width > 0 || b.height > 0) drawn++;
    });
    svg.setAttribute('data-drawn', String(drawn));
    svg.setAttribute('data-tick-overlaps',
                     String(overlaps(boxes(svg, '.plot-tick-x')) + overlaps(boxes(svg, '.plot-tick-y'))));
  });
  document.body.setAttribute('data-num-overlaps', String(overlaps(boxes(document, 'text.num'))));
  document.body.setAttribute('data-measured', 'ok');
})();
</script>
)";

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

// The <svg class="plot" data-plot=ID ...>...</svg> element in the DOM, or "".
std::string plot_element(const std::string& dom, const std::string& id) {
  const size_t at = dom.find("data-plot=\"" + id + "\"");
  if (at == std::string::npos) return "";
  const size_t open = dom.rfind("<svg", at), close = dom.find("</svg>", at);
  return dom.substr(open, close + 6 - open);
}

// Every mark of the plot was drawn with a size, and no tick labels collide.
void expect_plot_drawn(const std::string& svg, const std::string& id) {
  SCOPED_TRACE(id);
  ASSERT_FALSE(svg.empty()) << "no plot " << id;
  const size_t marks = count(svg, "class=\"plot-line\"") + count(svg, "class=\"plot-bar tip\"") +
                       count(svg, "class=\"plot-band\"") + count(svg, "class=\"plot-point tip\"");
  EXPECT_GT(marks, 0u);
  EXPECT_NE(svg.find("data-drawn=\"" + std::to_string(marks) + "\""), std::string::npos) << svg.substr(0, 300);
  EXPECT_NE(svg.find("data-tick-overlaps=\"0\""), std::string::npos) << svg.substr(0, 300);
}

// Renders `html` (plus the measuring script) at width x height; returns the DOM after the
// scripts ran. With REPLSIM_SCREENSHOT_DIR set, the screenshot is kept there as <name>.png.
std::string render_measured(const std::string& html, const std::string& name, int width, int height) {
  std::string page = html;
  const size_t body_end = page.rfind("</body>");
  page.insert(body_end == std::string::npos ? page.size() : body_end, kMeasureScript);
  HeadlessChromium browser;
  const std::string path = browser.dir() + "/" + name + ".html", png = browser.dir() + "/" + name + ".png";
  std::ofstream(path, std::ios::binary) << page;
  BrowserRun run = browser.render(path, png, width, height);
  if (run.started && run.timed_out) run = browser.render(path, png, width, height);  // A hung start, once.
  EXPECT_TRUE(run.started && !run.timed_out && run.exit_code == 0) << run.err;
  EXPECT_EQ(run.err.find("Uncaught"), std::string::npos) << run.err;
  EXPECT_NE(run.out.find("data-measured=\"ok\""), std::string::npos) << "the measuring script did not run";
  EXPECT_EQ(png_size(png), std::make_pair(width, height));
  if (const char* keep = std::getenv("REPLSIM_SCREENSHOT_DIR"); keep != nullptr && *keep != '\0')
    std::filesystem::copy_file(png, std::string(keep) + "/" + name + ".png",
                               std::filesystem::copy_options::overwrite_existing);
  return run.out;
}

TEST(PlotsBrowserTest, LagAndThroughputPlotsOfDrill21AreDrawnBelowTheLanes) {
  ASSERT_FALSE(chromium_path().empty()) << "run scripts/setup-browser.sh";
  const Scenario scenario = drill_2_1_scenario();
  auto predicted = sim::simulate(scenario, sim::SimOptions{});
  ASSERT_TRUE(predicted.ok()) << predicted.status().message();
  const std::string dom = render_measured(cli::render_timeline_html(scenario, &predicted.value(), nullptr),
                                          "plots-drill-2.1-page", 1400, 900);
  std::smatch body;
  ASSERT_TRUE(std::regex_search(dom, body, std::regex("<body[^>]*>")));
  EXPECT_NE(body.str().find("data-rendered=\"ok\""), std::string::npos) << body.str();
  EXPECT_EQ(body.str().find("data-errors"), std::string::npos) << body.str();
  const std::string lag = plot_element(dom, "lag-predicted");
  expect_plot_drawn(lag, "lag-predicted");
  EXPECT_EQ(count(lag, "class=\"plot-line\" data-series=\"replica\""), 1u) << "the replica's lag line";
  EXPECT_EQ(count(lag, "class=\"plot-band\" data-band=\"partition\""), 1u) << "the partition shaded";
  EXPECT_TRUE(std::regex_search(lag, std::regex(R"(class="plot-tick-y"[^>]*>\d+ B</text>)"))) << "axis in bytes";
  EXPECT_NE(lag.find("replica: 184 B at"), std::string::npos) << "charlie's WAL, never replayed";
  const std::string tp = plot_element(dom, "throughput-predicted");
  expect_plot_drawn(tp, "throughput-predicted");
  EXPECT_GE(count(tp, "class=\"plot-bar tip\""), 1u);
  EXPECT_EQ(count(tp, "data-band=\"crash\""), 1u) << "the primary's crash shaded";
  EXPECT_LT(dom.find("class=\"lane"), dom.find("data-plot=\"lag-predicted\"")) << "plots below the lanes";

  // The picture of docs/timelines.md: the plots alone.
  const cli::TimelineLayout layout(scenario, &predicted.value(), nullptr);
  const std::string plots_only =
      "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>body{font:14px system-ui,\"DejaVu Sans\",sans-serif;"
      "background:#fff;margin:10px}.muted{color:#5b6475}</style></head><body>" +
      cli::render_timeline_plots(layout) + "</body></html>";
  const std::string alone = render_measured(plots_only, "timeline-plots-drill-2.1", 1040, 640);
  expect_plot_drawn(plot_element(alone, "lag-predicted"), "lag-predicted alone");
}

// A compare report shaped like a --quick run: latencies by level, a stall in the partition.
cli::CompareReport sample_report() {
  cli::CompareReport r;
  r.command = "replsim compare --quick";
  r.clients = 2;
  r.duration_ms = 1000;
  struct Conf {
    const char* setup;
    const char* level;
    int64_t lat;
    double base_ms;
    double stall_ms;
  };
  const Conf confs[] = {{"async", "off", 0, 0.2, 0},    {"async", "local", 0, 1.1, 0},
                        {"first1", "on", 0, 1.6, 2600}, {"any1", "on", 0, 1.7, 1200},
                        {"async", "on", 5, 1.2, 0},     {"first1", "remote_apply", 5, 12.5, 0}};
  for (const Conf& c : confs) {
    cli::CompareRow row{c.setup, "", c.level, c.lat, {}, {}};
    auto& m = row.measured;
    m.steady_end_ms = 1000;
    m.partitioned = c.stall_ms > 0;
    m.partition_start_ms = 1000;
    m.heal_ms = 1000 + c.stall_ms;
    m.partition_window_ms = static_cast<int64_t>(c.stall_ms);
    for (int i = 0; i < 600; ++i) {
      const double at = i * 2.0 + 1;
      double lat = c.base_ms * (1 + 0.6 * std::sin(i * 0.7) * std::sin(i * 0.7));
      if (m.partitioned && at > 1000 && at < m.heal_ms) lat = m.heal_ms - 1000;
      if (!m.partitioned && at > 1000) break;
      m.commit_series.push_back({at, lat});
    }
    m.commit_p50_ms = c.base_ms * 1.3;
    m.commit_p99_ms = c.base_ms * 1.6;
    m.tps = 500;
    row.predicted.window_us = std::string(c.level) == "off" ? 200100 : c.setup == std::string("async") ? 100 : 0;
    r.rows.push_back(row);
  }
  return r;
}

TEST(PlotsBrowserTest, ComparePageHasACdfPerLatencyTheOverTimePlotsAndANumberForEveryScatterPoint) {
  ASSERT_FALSE(chromium_path().empty()) << "run scripts/setup-browser.sh";
  const cli::CompareReport report = sample_report();
  const std::string dom = render_measured(cli::render_html(report), "compare-page", 1400, 1600);
  const std::string cdf0 = plot_element(dom, "cdf-0"), cdf5 = plot_element(dom, "cdf-5");
  expect_plot_drawn(cdf0, "cdf-0");
  expect_plot_drawn(cdf5, "cdf-5");
  EXPECT_EQ(count(cdf0, "class=\"plot-line\""), 4u) << "one line per configuration at 0 ms";
  EXPECT_EQ(count(cdf5, "class=\"plot-line\""), 2u);
  EXPECT_NE(cdf0.find(">100 %</text>"), std::string::npos);
  for (size_t i = 0; i < report.rows.size(); ++i) {
    const std::string over = plot_element(dom, "latency-" + std::to_string(i));
    expect_plot_drawn(over, "latency-" + std::to_string(i));
    EXPECT_EQ(count(over, "data-band=\"partition\""), report.rows[i].measured.partitioned ? 1u : 0u);
  }
  // Both scatters: every point numbered, no two numbers on top of each other.
  EXPECT_EQ(count(dom, "<text class=\"num\""), 2 * report.rows.size());
  EXPECT_NE(dom.find("data-num-overlaps=\"0\""), std::string::npos);

  // The picture of docs/compare.md: the CDF and over-time plots alone.
  const std::string plots_only =
      "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>body{font:13px system-ui,\"DejaVu Sans\",sans-serif;"
      "background:#fff;margin:10px}.multiples{display:flex;flex-wrap:wrap}figure{margin:4px}</style></head><body>" +
      cli::render_compare_plots(report) + "</body></html>";
  const std::string alone = render_measured(plots_only, "compare-plots", 1000, 1000);
  expect_plot_drawn(plot_element(alone, "cdf-0"), "cdf-0 alone");
}

TEST(PlotsBrowserTest, RunHtmlDirWritesAnIndexWhoseLinksOpenEveryScenariosPage) {
  ASSERT_FALSE(chromium_path().empty()) << "run scripts/setup-browser.sh";
  HeadlessChromium scratch;
  const std::string dir = scratch.dir() + "/pages/";
  const std::string a = source_path("scenarios/drill-2.1-replication-lag.yaml"),
                    b = source_path("scenarios/drill-2.1-sync.yaml");
  const std::string cmd = std::string("'") + REPLSIM_BINARY + "' run --quiet '" + a + "' '" + b + "' --html '" + dir +
                          "' > '" + scratch.dir() + "/out.txt' 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  ASSERT_TRUE(std::filesystem::exists(dir + "index.html"));
  const std::string dom = render_measured(
      [&] {
        std::ifstream in(dir + "index.html");
        return std::string(std::istreambuf_iterator<char>(in), {});
      }(),
      "index-page", 1000, 400);
  EXPECT_NE(dom.find("data-rendered=\"ok\""), std::string::npos);
  const std::regex link(R"re(<a href="([^"]+)">([^<]+)</a>)re");
  size_t links = 0;
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), link); it != std::sregex_iterator(); ++it, ++links) {
    const std::string page = dir + (*it)[1].str();
    ASSERT_TRUE(std::filesystem::exists(page)) << page;
    std::ifstream in(page);
    const std::string html(std::istreambuf_iterator<char>(in), {});
    EXPECT_NE(html.find("<title>replsim timeline: " + (*it)[2].str()), std::string::npos) << page;
  }
  EXPECT_EQ(links, 2u);
  EXPECT_EQ(count(dom, "class=\"verdict\""), 2u);
  EXPECT_NE(dom.find("expectations held"), std::string::npos) << "each scenario's verdict";
  EXPECT_NE(dom.find("<b>2 of 2</b> passed"), std::string::npos);
}

}  // namespace
}  // namespace replsim::testing
