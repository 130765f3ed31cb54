#include "cli/plot_compare.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "cli/html_escape.h"

namespace replsim::cli {
namespace {

constexpr size_t kIntervals = 120;  // Per latency-over-time plot.
constexpr size_t kCdfPoints = 200;  // Per CDF line.

// The colour of a synchronous_commit level, as the scatter has it; the dash of a setup.
const char* level_color(const std::string& level) {
  if (level == "off") return "#d62728";
  if (level == "local") return "#ff7f0e";
  if (level == "remote_write") return "#2ca02c";
  if (level == "on") return "#1f77b4";
  return "#9467bd";  // remote_apply
}
const char* setup_dash(const std::string& setup) {
  if (setup == "first1") return "6 3";
  if (setup == "any1") return "2 2";
  return "";
}

std::string row_name(const CompareRow& row) { return fmt::format("{}/{} @{}ms", row.level, row.setup, row.latency_ms); }

double median_of(std::vector<double>& v) {
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

}  // namespace

PlotSpec latency_over_time_plot(const CompareRow& row, size_t index) {
  const auto& m = row.measured;
  PlotSpec spec;
  spec.id = fmt::format("latency-{}", index);
  spec.width = 460;
  spec.height = 210;
  spec.x_title = "time since the clients started (s)";
  spec.x_unit = PlotUnit::kSeconds;
  spec.y_title = "commit latency (ms)";
  spec.y_unit = PlotUnit::kMs;
  spec.log_y = true;
  spec.empty_text = "no commit";
  if (!m.commit_series.empty()) {
    const double end = m.commit_series.back().at_ms;
    spec.x_lo = 0;
    spec.x_hi = std::max(end, m.heal_ms) / 1000.0;
    const double width = std::max(end / kIntervals, 1.0);
    PlotSeries median{"median per interval", "#1f77b4", {}, false, false, ""};
    PlotSeries worst{"max per interval", "#d62728", {}, false, false, "4 2"};
    std::vector<double> bin;
    size_t i = 0;
    for (size_t b = 0; i < m.commit_series.size(); ++b) {
      bin.clear();
      const double hi = static_cast<double>(b + 1) * width;
      for (; i < m.commit_series.size() && m.commit_series[i].at_ms < hi; ++i)
        bin.push_back(m.commit_series[i].latency_ms);
      if (bin.empty()) continue;
      const double at = (static_cast<double>(b) + 0.5) * width / 1000.0;
      worst.points.emplace_back(at, *std::max_element(bin.begin(), bin.end()));
      median.points.emplace_back(at, median_of(bin));
    }
    spec.series = {median, worst};
  }
  if (m.partitioned)
    spec.bands.push_back(PlotBand{m.partition_start_ms / 1000.0, m.heal_ms / 1000.0, "partition",
                                  fmt::format("partition ({} ms)", m.partition_window_ms), "#e08214", ""});
  return spec;
}

std::vector<PlotSpec> latency_cdf_plots(const CompareReport& r) {
  std::vector<int64_t> latencies;
  for (const auto& row : r.rows)
    if (std::find(latencies.begin(), latencies.end(), row.latency_ms) == latencies.end())
      latencies.push_back(row.latency_ms);
  std::vector<PlotSpec> plots;
  for (int64_t lat : latencies) {
    PlotSpec spec;
    spec.id = fmt::format("cdf-{}", lat);
    spec.width = 900;
    spec.height = 320;
    spec.x_title = "commit latency (ms, log scale)";
    spec.x_unit = PlotUnit::kMs;
    spec.log_x = true;
    spec.y_title = "commits at most this slow";
    spec.y_unit = PlotUnit::kFraction;
    spec.y_lo = 0;
    spec.y_hi = 1;
    for (const auto& row : r.rows) {
      if (row.latency_ms != lat) continue;
      std::vector<double> steady;
      for (const auto& c : row.measured.commit_series)
        if (c.at_ms <= row.measured.steady_end_ms) steady.push_back(c.latency_ms);
      if (steady.empty()) continue;
      std::sort(steady.begin(), steady.end());
      PlotSeries s{
          fmt::format("{}/{}", row.level, row.setup), level_color(row.level), {}, false, false, setup_dash(row.setup)};
      const size_t n = steady.size(), stride = std::max<size_t>(1, n / kCdfPoints);
      for (size_t k = 0; k < n; k += stride)
        s.points.emplace_back(steady[k], static_cast<double>(k + 1) / static_cast<double>(n));
      s.points.emplace_back(steady.back(), 1.0);
      spec.series.push_back(std::move(s));
    }
    plots.push_back(std::move(spec));
  }
  return plots;
}

std::string render_compare_plots(const CompareReport& r) {
  std::string h =
      "<h2>Commit latency CDF per configuration (steady state)</h2>\n<p>One plot per added latency; a line per "
      "configuration: colour = level, dashes = setup (solid async, long dashes first1, dots any1). A line to "
      "the left commits faster; its top end is the slowest commit.</p>\n";
  for (const auto& p : latency_cdf_plots(r)) {
    h += fmt::format("<figure class=\"cdf\"><figcaption>added one-way latency {} ms</figcaption>\n", p.id.substr(4));
    h += render_plot_svg(p) + "</figure>\n";
  }
  h += "<h2>Commit latency over time per configuration</h2>\n<p>Median and maximum commit latency per "
       "interval from the clients' start; the partition of the sync standby is shaded. A waiting level "
       "shows the stall as a spike of the maximum inside the band.</p>\n<div class=\"multiples\">\n";
  for (size_t i = 0; i < r.rows.size(); ++i) {
    h += fmt::format("<figure class=\"over-time\"><figcaption>{}</figcaption>\n", html_escape(row_name(r.rows[i])));
    h += render_plot_svg(latency_over_time_plot(r.rows[i], i)) + "</figure>\n";
  }
  return h + "</div>\n";
}

}  // namespace replsim::cli
