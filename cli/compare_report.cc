#include "cli/compare_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "cli/html_escape.h"

namespace replsim::cli {
namespace {

std::string partition_cell(const harness::BenchMeasure& m) {
  if (!m.partitioned) return "-";
  if (!m.blocked) return fmt::format("no ({:.0f} ms)", m.stall_ms);
  return fmt::format("{:.0f} ms, {}", m.stall_ms, m.released_by);
}

std::string predicted_block_cell(const sim::LossWindow& p) {
  if (!p.blocks_under_partition) return "no";
  return fmt::format("{:.0f} ms, {}", static_cast<double>(p.stall_us) / 1000.0, p.released_by);
}

double ms(int64_t us) { return static_cast<double>(us) / 1000.0; }

// The colour of a synchronous_commit level in the chart, the marker of a setup.
const char* level_colour(const std::string& level) {
  if (level == "off") return "#d62728";
  if (level == "local") return "#ff7f0e";
  if (level == "remote_write") return "#2ca02c";
  if (level == "on") return "#1f77b4";
  return "#9467bd";  // remote_apply
}

std::string marker(const std::string& setup, double x, double y, const char* colour) {
  if (setup == "first1")
    return fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="8" height="8" fill="{}"/>)", x - 4, y - 4, colour);
  if (setup == "any1")
    return fmt::format(R"(<polygon points="{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}" fill="{}"/>)", x, y - 5, x - 5,
                       y + 4, x + 5, y + 4, colour);
  return fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="4" fill="{}"/>)", x, y, colour);
}

}  // namespace

std::string storage_sentence(const CompareReport& r) {
  std::string s = fmt::format("disk: {}; fsync = {}", harness::to_string(r.disk), r.fsync);
  if (r.fsync == "off") s += " (--fsync off: a commit does not wait for the disk; not the default)";
  return s;
}

namespace {

nlohmann::json storage_json(const CompareReport& r) {
  return {{"directory", r.disk.directory},
          {"mount_point", r.disk.mount_point},
          {"filesystem", r.disk.filesystem},
          {"device", r.disk.device},
          {"description", harness::to_string(r.disk)}};
}

}  // namespace

std::string format_table(const CompareReport& r) {
  std::string out = fmt::format("replsim compare: {} clients, {:.1f} s per configuration\n", r.clients,
                                static_cast<double>(r.duration_ms) / 1000.0);
  out += storage_sentence(r) + "\n";
  out += fmt::format("{:<7} {:<13} {:>4} | {:>8} {:>8} {:>8} {:>8} | {:<20} || {:>10} {:>9} | {:<20}\n", "setup",
                     "level", "lat", "tps", "p50 ms", "p95 ms", "p99 ms", "measured stall", "loss ms", "tx risk",
                     "predicted stall");
  out += std::string(128, '-') + "\n";
  for (const auto& row : r.rows) {
    const auto& m = row.measured;
    const auto& p = row.predicted;
    out += fmt::format(
        "{:<7} {:<13} {:>4} | {:>8.0f} {:>8.2f} {:>8.2f} {:>8.2f} | {:<20} || {:>10.1f} {:>9.2f} | {:<20}\n", row.setup,
        row.level, row.latency_ms, m.tps, m.commit_p50_ms, m.commit_p95_ms, m.commit_p99_ms, partition_cell(m),
        ms(p.window_us), p.transactions, predicted_block_cell(p));
  }
  out +=
      "lat: added one-way latency (ms) on each standby link. loss ms / tx risk: predicted acknowledged commits a\n"
      "primary crash + failover loses (typical; worst case in --json). stall: longest commit wait while the\n"
      "sync standby (async, first1: s1; any1: s1 and s2) is partitioned, and what released it.\n";
  return out;
}

nlohmann::json to_json(const CompareReport& r) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& row : r.rows) {
    const auto& m = row.measured;
    const auto& p = row.predicted;
    nlohmann::json partition = nullptr;
    if (m.partitioned) {
      partition = {{"window_ms", m.partition_window_ms},
                   {"stall_ms", m.stall_ms},
                   {"blocked", m.blocked},
                   {"released_by", m.released_by},
                   {"commits", m.partition_commits}};
    }
    rows.push_back({
        {"setup", row.setup},
        {"synchronous_standby_names", row.standby_names},
        {"level", row.level},
        {"latency_ms", row.latency_ms},
        {"measured",
         {{"commits", m.commits},
          {"tps", m.tps},
          {"commit_ms",
           {{"p50", m.commit_p50_ms}, {"p95", m.commit_p95_ms}, {"p99", m.commit_p99_ms}, {"max", m.commit_max_ms}}},
          {"sync_states", m.sync_states},
          {"partition", partition}}},
        {"predicted",
         {{"loss_window_ms", ms(p.window_us)},
          {"loss_window_worst_ms", ms(p.window_worst_us)},
          {"transactions_at_risk", p.transactions},
          {"transactions_at_risk_worst", p.transactions_worst},
          {"blocks_under_partition", p.blocks_under_partition},
          {"stall_ms", ms(p.stall_us)},
          {"released_by", p.released_by},
          {"rule", p.rule}}},
    });
  }
  return {{"command", r.command}, {"machine", r.machine}, {"disk", storage_json(r)},
          {"fsync", r.fsync},     {"clients", r.clients}, {"duration_ms", r.duration_ms},
          {"rows", rows}};
}

namespace {

// The chart's frame, in pixels, and its two log scales.
constexpr double kWidth = 860, kHeight = 520, kLeft = 70, kRight = 200, kTop = 30, kBottom = 60;
constexpr double kPlotW = kWidth - kLeft - kRight, kPlotH = kHeight - kTop - kBottom;

// Latencies span 0.1 ms (local flush) to ~100 ms (remote_apply at 20 ms each way): log x.
// Loss windows start at 0: log(1 + ms) y.
struct ChartScale {
  double lx_min = -1, lx_max = 0, ly_max = 0;

  ChartScale(const CompareReport& r, bool use_p99) {
    double x_max = 1;
    double y_max = 10;
    for (const auto& row : r.rows) {
      x_max = std::max(x_max, use_p99 ? row.measured.commit_p99_ms : row.measured.commit_p50_ms);
      y_max = std::max(y_max, ms(row.predicted.window_us));
    }
    lx_max = std::ceil(std::log10(x_max));
    ly_max = std::ceil(std::log10(1 + y_max));
  }
  double px(double v) const {
    const double l = std::log10(std::max(v, 0.1));
    return kLeft + (l - lx_min) / (lx_max - lx_min) * kPlotW;
  }
  double py(double v) const { return kTop + kPlotH - std::log10(1 + std::max(v, 0.0)) / ly_max * kPlotH; }
};

// The frame, the grid with its tick labels on both axes, and the axis titles.
std::string chart_axes(const ChartScale& sc, bool use_p99) {
  std::string s = fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#444"/>)"
                              "\n",
                              kLeft, kTop, kPlotW, kPlotH);
  for (double l = sc.lx_min; l <= sc.lx_max; l += 1) {
    const double x = sc.px(std::pow(10, l));
    s += fmt::format(
        R"(<line x1="{0:.1f}" y1="{1}" x2="{0:.1f}" y2="{2}" stroke="#ddd"/><text x="{0:.1f}" y="{3}" text-anchor="middle">{4:g}</text>)"
        "\n",
        x, kTop, kTop + kPlotH, kTop + kPlotH + 15, std::pow(10, l));
  }
  // Ticks at 0, 1, 10, 100, ... ms, placed on the log(1 + ms) scale.
  for (double v = 0; std::log10(1 + v) <= sc.ly_max + 1e-9; v = v == 0 ? 1 : v * 10) {
    const double y = sc.py(v);
    s += fmt::format(
        R"(<line x1="{0}" y1="{1:.1f}" x2="{2}" y2="{1:.1f}" stroke="#ddd"/><text x="{3}" y="{4:.1f}" text-anchor="end">{5:g}</text>)"
        "\n",
        kLeft, y, kLeft + kPlotW, kLeft - 5, y + 4, v);
  }
  s += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle">commit latency {} (ms, log scale)</text>)"
                   "\n",
                   kLeft + kPlotW / 2, kHeight - 20, use_p99 ? "p99" : "p50");
  s += fmt::format(
      R"~(<text transform="translate(18,{}) rotate(-90)" text-anchor="middle">predicted loss window (ms, log(1+ms) scale)</text>)~"
      "\n",
      kTop + kPlotH / 2);
  return s;
}

// One point per row, with a hover title. Many points share a spot (every waiting level has a
// loss window of 0): a label goes where it overlaps no earlier one, else it is left to the
// point's hover title.
std::string chart_points(const CompareReport& r, const ChartScale& sc, bool use_p99) {
  struct Box {
    double x0, y0, x1, y1;
  };
  std::vector<Box> placed;
  auto place = [&](double x, double y, size_t chars) -> bool {
    const Box b{x, y - 9, x + 5.0 * static_cast<double>(chars), y + 1};
    for (const Box& o : placed)
      if (b.x0 < o.x1 && o.x0 < b.x1 && b.y0 < o.y1 && o.y0 < b.y1) return false;
    placed.push_back(b);
    return true;
  };
  std::string s;
  for (const auto& row : r.rows) {
    const double lat = use_p99 ? row.measured.commit_p99_ms : row.measured.commit_p50_ms;
    const double loss = ms(row.predicted.window_us);
    const double x = sc.px(lat), y = sc.py(loss);
    const std::string label = fmt::format("{}/{} @{}ms", row.level, row.setup, row.latency_ms);
    s += fmt::format(R"(<g><title>{}: commit {} {:.2f} ms, {:.0f} tps; loss window {:.1f} ms ({:.2f} tx)</title>)",
                     html_escape(label), use_p99 ? "p99" : "p50", lat, row.measured.tps, loss,
                     row.predicted.transactions);
    s += marker(row.setup, x, y, level_colour(row.level));
    for (double dy : {-4.0, 10.0, -14.0, 20.0}) {
      if (!place(x + 6, y + dy, label.size())) continue;
      s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="9" fill="#333">{}</text>)", x + 6, y + dy,
                       html_escape(label));
      break;
    }
    s += "</g>\n";
  }
  return s;
}

// Legend: colour = level, marker = setup.
std::string chart_legend() {
  std::string s;
  double ly = kTop + 10;
  for (const char* level : {"off", "local", "remote_write", "on", "remote_apply"}) {
    s += fmt::format(R"(<circle cx="{}" cy="{}" r="5" fill="{}"/><text x="{}" y="{}">{}</text>)"
                     "\n",
                     kWidth - kRight + 20, ly, level_colour(level), kWidth - kRight + 30, ly + 4, level);
    ly += 18;
  }
  ly += 10;
  for (const char* setup : {"async", "first1", "any1"}) {
    s += marker(setup, kWidth - kRight + 20, ly, "#555");
    s += fmt::format(R"(<text x="{}" y="{}">{}</text>)"
                     "\n",
                     kWidth - kRight + 30, ly + 4, setup);
    ly += 18;
  }
  return s;
}

}  // namespace

std::string render_svg(const CompareReport& r, bool use_p99) {
  const ChartScale scale(r, use_p99);
  // Inline SVG in HTML needs no xmlns declaration, so the page names no URL at all.
  std::string s = fmt::format(
      R"(<svg width="{0}" height="{1}" viewBox="0 0 {0} {1}" font-family="sans-serif" font-size="11">)"
      "\n",
      kWidth, kHeight);
  s += chart_axes(scale, use_p99);
  s += chart_points(r, scale, use_p99);
  s += chart_legend();
  s += "</svg>\n";
  return s;
}

std::string render_html(const CompareReport& r) {
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<title>replsim compare: sync vs async</title>\n<style>\n"
      "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;font-size:13px}"
      "th,td{border:1px solid #ccc;padding:3px 6px;text-align:right}td.l,th.l{text-align:left}"
      "caption{text-align:left;font-weight:bold;margin:.5em 0}\n</style></head><body>\n";
  h += "<h1>Sync vs async: measured commit latency against predicted loss window</h1>\n";
  h += fmt::format("<p>Command: <code>{}</code><br>Machine: {}<br>{} clients, {:.1f} s per configuration.</p>\n",
                   html_escape(r.command), html_escape(r.machine.empty() ? "unknown" : r.machine), r.clients,
                   static_cast<double>(r.duration_ms) / 1000.0);
  h += fmt::format("<p>{}</p>\n", html_escape(storage_sentence(r)));
  h += "<h2>Commit latency p50 against predicted loss window</h2>\n" + render_svg(r, false);
  h += "<h2>Commit latency p99 against predicted loss window</h2>\n" + render_svg(r, true);
  h += "<table><caption>Measured (real PostgreSQL) and predicted (simulator) per configuration</caption>\n"
       "<tr><th class=l>setup</th><th class=l>level</th><th>latency ms</th><th>tps</th><th>p50 ms</th>"
       "<th>p95 ms</th><th>p99 ms</th><th class=l>measured stall under partition</th><th>predicted loss ms</th>"
       "<th>predicted tx at risk</th><th class=l>predicted stall</th><th class=l>rule</th></tr>\n";
  for (const auto& row : r.rows) {
    const auto& m = row.measured;
    const auto& p = row.predicted;
    h += fmt::format(
        "<tr><td class=l>{}</td><td class=l>{}</td><td>{}</td><td>{:.0f}</td><td>{:.2f}</td><td>{:.2f}</td>"
        "<td>{:.2f}</td><td class=l>{}</td><td>{:.1f}</td><td>{:.2f}</td><td class=l>{}</td><td class=l>{}</td></tr>\n",
        html_escape(row.setup), html_escape(row.level), row.latency_ms, m.tps, m.commit_p50_ms, m.commit_p95_ms,
        m.commit_p99_ms, html_escape(partition_cell(m)), ms(p.window_us), p.transactions,
        html_escape(predicted_block_cell(p)), html_escape(p.rule));
  }
  h += "</table>\n<p>Rules and their PostgreSQL 15 documentation sections: docs/compare.md.</p>\n</body></html>\n";
  return h;
}

}  // namespace replsim::cli
