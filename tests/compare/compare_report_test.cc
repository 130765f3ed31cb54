// The compare report: the table, the JSON shape, and the HTML page (SVG chart, escaping,
// nothing fetched from outside).
#include "cli/compare_report.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <vector>

#include "cli/html_escape.h"

namespace replsim::cli {
namespace {

CompareRow row(const std::string& setup, const std::string& level, int64_t latency_ms, double p50, int64_t loss_us) {
  CompareRow r;
  r.setup = setup;
  r.level = level;
  r.latency_ms = latency_ms;
  r.measured.tps = 1234;
  r.measured.commits = 1234;
  r.measured.commit_p50_ms = p50;
  r.measured.commit_p95_ms = p50 * 2;
  r.measured.commit_p99_ms = p50 * 3;
  r.predicted.window_us = loss_us;
  r.predicted.transactions = 1.5;
  r.predicted.rule = "rule <b>&'\"";
  return r;
}

CompareReport sample() {
  CompareReport rep;
  rep.command = "replsim compare --quick <x>";
  rep.machine = "Some CPU & co, 2 cores";
  rep.clients = 2;
  rep.duration_ms = 1000;
  rep.rows.push_back(row("async", "off", 0, 0.3, 200'100));
  CompareRow blocked = row("first1", "on", 5, 11.0, 0);
  blocked.measured.partitioned = true;
  blocked.measured.blocked = true;
  blocked.measured.stall_ms = 2043;
  blocked.measured.released_by = "failover";
  blocked.predicted.blocks_under_partition = true;
  blocked.predicted.stall_us = 2'010'000;
  blocked.predicted.released_by = "failover";
  rep.rows.push_back(blocked);
  return rep;
}

TEST(CompareReportTest, TableHasOneLinePerRowWithMeasuredAndPredictedColumns) {
  const std::string t = format_table(sample());
  EXPECT_NE(t.find("setup"), std::string::npos);
  EXPECT_NE(t.find("async   off"), std::string::npos);
  EXPECT_NE(t.find("2043 ms, failover"), std::string::npos);
  EXPECT_NE(t.find("2010 ms, failover"), std::string::npos);
  EXPECT_NE(t.find("200.1"), std::string::npos);
}

TEST(CompareReportTest, JsonCarriesMeasuredAndPredictedPerRow) {
  const nlohmann::json j = to_json(sample());
  ASSERT_EQ(j["rows"].size(), 2u);
  const auto& r0 = j["rows"][0];
  EXPECT_EQ(r0["setup"], "async");
  EXPECT_EQ(r0["level"], "off");
  EXPECT_DOUBLE_EQ(r0["measured"]["commit_ms"]["p50"].get<double>(), 0.3);
  EXPECT_TRUE(r0["measured"]["partition"].is_null());
  EXPECT_DOUBLE_EQ(r0["predicted"]["loss_window_ms"].get<double>(), 200.1);
  const auto& r1 = j["rows"][1];
  EXPECT_TRUE(r1["measured"]["partition"]["blocked"].get<bool>());
  EXPECT_EQ(r1["measured"]["partition"]["released_by"], "failover");
  EXPECT_TRUE(r1["predicted"]["blocks_under_partition"].get<bool>());
  EXPECT_EQ(j["clients"], 2);
}

TEST(CompareReportTest, SvgHasOneLabelledPointPerRow) {
  const std::string svg = render_svg(sample());
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("off/async @0ms"), std::string::npos);
  EXPECT_NE(svg.find("on/first1 @5ms"), std::string::npos);
  EXPECT_NE(svg.find("<circle"), std::string::npos);  // async marker
  EXPECT_NE(svg.find("<rect x"), std::string::npos);  // first1 marker
  EXPECT_NE(svg.find("commit latency p50"), std::string::npos);
  EXPECT_NE(render_svg(sample(), true).find("commit latency p99"), std::string::npos);
}

// The x axis spans the data (half decades around it), so fast points are not squeezed into
// the left edge: here 0.03 ms and 11 ms, both well inside the plot.
TEST(CompareReportTest, ScatterAxisFitsTheDataAndNumbersEveryPoint) {
  CompareReport rep = sample();
  rep.rows.push_back(row("async", "local", 0, 0.03, 100));
  const std::string svg = render_svg(rep);
  std::vector<double> xs;
  const std::regex circle(R"re(<circle cx="([0-9.]+)")re");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), circle); it != std::sregex_iterator(); ++it)
    xs.push_back(std::stod((*it)[1].str()));
  ASSERT_GE(xs.size(), 2u);
  const double fastest = *std::min_element(xs.begin(), xs.end());
  EXPECT_GT(fastest, 70 + 20) << "not at the plot's left edge";
  EXPECT_NE(svg.find(">0.01</text>"), std::string::npos) << "the axis starts at the decade below 0.03 ms";
  EXPECT_NE(svg.find(">10</text>"), std::string::npos) << "and past 11 ms";
  for (const char* n : {"data-n=\"1\"", "data-n=\"2\"", "data-n=\"3\""}) EXPECT_NE(svg.find(n), std::string::npos);
  size_t numbers = 0;
  for (size_t at = svg.find("<text class=\"num\""); at != std::string::npos;
       at = svg.find("<text class=\"num\"", at + 1))
    ++numbers;
  EXPECT_EQ(numbers, 3u) << "every point numbered";
  EXPECT_NE(render_html(rep).find("<ol class=\"key\">"), std::string::npos);
}

TEST(CompareReportTest, HtmlIsSelfContainedAndEscapesEveryString) {
  const std::string h = render_html(sample());
  EXPECT_EQ(h.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(h.find("http"), std::string::npos) << "no external URL";
  EXPECT_EQ(h.find("<script"), std::string::npos);
  EXPECT_NE(h.find("--quick &lt;x&gt;"), std::string::npos);
  EXPECT_NE(h.find("Some CPU &amp; co"), std::string::npos);
  EXPECT_NE(h.find("rule &lt;b&gt;&amp;&#39;&quot;"), std::string::npos);
  EXPECT_EQ(h.find("<b>&"), std::string::npos);
  EXPECT_EQ(h.find("<x>"), std::string::npos);
}

TEST(CompareReportTest, EscapeHtmlCoversTheFiveSpecialCharacters) {
  EXPECT_EQ(html_escape("a<b>&\"'c"), "a&lt;b&gt;&amp;&quot;&#39;c");
  EXPECT_EQ(html_escape(""), "");
}

}  // namespace
}  // namespace replsim::cli
