#include "cli/compare_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "cli/html_escape.h"
#include "cli/plot_compare.h"
#include "cli/plot_svg.h"

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

// Latencies span 0.1 ms (local flush) to ~100 ms (remote_apply at 20 ms each way): log x,
// from the half decade below the fastest point to the half decade above the slowest, so the
// points spread over the width. Loss windows start at 0: log(1 + ms) y.
struct ChartScale {
  double lx_min = -1, lx_max = 0, ly_max = 0;

  ChartScale(const CompareReport& r, bool use_p99) {
    double x_min = 1e9, x_max = 0;
    double y_max = 10;
    for (const auto& row : r.rows) {
      const double x = std::max(use_p99 ? row.measured.commit_p99_ms : row.measured.commit_p50_ms, 0.01);
      x_min = std::min(x_min, x);
      x_max = std::max(x_max, x);
      y_max = std::max(y_max, ms(row.predicted.window_us));
    }
    if (x_max <= 0) x_min = x_max = 1;
    lx_min = std::floor(std::log10(x_min) * 2) / 2;
    lx_max = std::max(std::ceil(std::log10(x_max) * 2 + 1e-9) / 2, lx_min + 0.5);
    ly_max = std::ceil(std::log10(1 + y_max));
  }
  double px(double v) const {
    const double l = std::log10(std::max(v, std::pow(10, lx_min)));
    return kLeft + (l - lx_min) / (lx_max - lx_min) * kPlotW;
  }
  double py(double v) const { return kTop + kPlotH - std::log10(1 + std::max(v, 0.0)) / ly_max * kPlotH; }
};

// The frame, the grid with its tick labels on both axes, and the axis titles.
std::string chart_axes(const ChartScale& sc, bool use_p99) {
  std::string s = fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#444"/>)"
                              "\n",
                              kLeft, kTop, kPlotW, kPlotH);
  for (double t : plot_ticks(std::pow(10, sc.lx_min), std::pow(10, sc.lx_max), true)) {
    const double x = sc.px(t);
    s += fmt::format(
        R"(<line x1="{0:.1f}" y1="{1}" x2="{0:.1f}" y2="{2}" stroke="#ddd"/><text x="{0:.1f}" y="{3}" text-anchor="middle">{4:g}</text>)"
        "\n",
        x, kTop, kTop + kPlotH, kTop + kPlotH + 15, t);
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

// One point per row, with a hover title, numbered as in the key under the chart. Many points
// share a spot (every waiting level has a loss window of 0), so each number goes to the
// nearest free place around its point (rings of 8 positions, growing), with a leader line
// when it had to move away; numbers never overlap each other or a point.
std::string chart_points(const CompareReport& r, const ChartScale& sc, bool use_p99) {
  struct Box {
    double x0, y0, x1, y1;
    bool hits(const Box& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
  };
  std::vector<Box> placed;
  for (const auto& row : r.rows) {
    const double x = sc.px(use_p99 ? row.measured.commit_p99_ms : row.measured.commit_p50_ms);
    const double y = sc.py(ms(row.predicted.window_us));
    placed.push_back(Box{x - 4, y - 4, x + 4, y + 4});
  }
  std::string s;
  for (size_t i = 0; i < r.rows.size(); ++i) {
    const auto& row = r.rows[i];
    const double lat = use_p99 ? row.measured.commit_p99_ms : row.measured.commit_p50_ms;
    const double loss = ms(row.predicted.window_us);
    const double x = sc.px(lat), y = sc.py(loss);
    const std::string label = fmt::format("{}/{} @{}ms", row.level, row.setup, row.latency_ms);
    s += fmt::format(
        R"(<g class="point" data-n="{}"><title>{} {}: commit {} {:.2f} ms, {:.0f} tps; loss window {:.1f} ms ({:.2f} tx)</title>)",
        i + 1, i + 1, html_escape(label), use_p99 ? "p99" : "p50", lat, row.measured.tps, loss,
        row.predicted.transactions);
    s += marker(row.setup, x, y, level_colour(row.level));
    const std::string num = std::to_string(i + 1);
    const double w = 6.5 * static_cast<double>(num.size()) + 2, h = 11;
    for (int ring = 1; ring <= 12; ++ring) {
      bool done = false;
      for (int k = 0; k < 8 && !done; ++k) {
        const double a = k * 3.14159265 / 4 - 3.14159265 / 2, d = 9.0 * ring;
        const double cx = x + d * std::cos(a), cy = y + d * std::sin(a);
        const Box b{cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2};
        if (b.x0 < 0 || b.x1 > kWidth - kRight + 10 || b.y0 < kTop - 12 || b.y1 > kHeight - 30) continue;
        if (std::any_of(placed.begin(), placed.end(), [&](const Box& o) { return b.hits(o); })) continue;
        placed.push_back(b);
        if (ring > 1)
          s += fmt::format(
              R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#999" stroke-width="0.7"/>)", x, y, cx,
              cy);
        s += fmt::format(
            R"(<text class="num" x="{:.1f}" y="{:.1f}" text-anchor="middle" font-size="10" fill="#222">{}</text>)", cx,
            cy + 3.5, num);
        done = true;
      }
      if (done) break;
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

namespace {
// The scatter's key: each point's number, its configuration and its two values.
std::string chart_key(const CompareReport& r, bool use_p99) {
  std::string h = "<ol class=\"key\">";
  for (const auto& row : r.rows)
    h += fmt::format("<li><span style=\"color:{}\">&#9679;</span> {}/{} @{}ms: {} {:.2f} ms, loss {:.1f} ms</li>",
                     level_colour(row.level), html_escape(row.level), html_escape(row.setup), row.latency_ms,
                     use_p99 ? "p99" : "p50", use_p99 ? row.measured.commit_p99_ms : row.measured.commit_p50_ms,
                     ms(row.predicted.window_us));
  return h + "</ol>\n";
}
}  // namespace

std::string render_html(const CompareReport& r) {
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<title>replsim compare: sync vs async</title>\n<style>\n"
      "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;font-size:13px}"
      "th,td{border:1px solid #ccc;padding:3px 6px;text-align:right}td.l,th.l{text-align:left}"
      "caption{text-align:left;font-weight:bold;margin:.5em 0}"
      "ol.key{columns:auto 26em;column-gap:2em;font-size:12.5px;max-width:1100px}ol.key li{break-inside:avoid}.multiples{display:flex;flex-wrap:wrap;gap:4px}"
      "figure{margin:6px 0}figcaption{font-size:13px;font-weight:600}\n</style></head><body>\n";
  h += "<h1>Sync vs async: measured commit latency against predicted loss window</h1>\n";
  h += fmt::format("<p>Command: <code>{}</code><br>Machine: {}<br>{} clients, {:.1f} s per configuration.</p>\n",
                   html_escape(r.command), html_escape(r.machine.empty() ? "unknown" : r.machine), r.clients,
                   static_cast<double>(r.duration_ms) / 1000.0);
  h += fmt::format("<p>{}</p>\n", html_escape(storage_sentence(r)));
  h += "<h2>Commit latency p50 against predicted loss window</h2>\n" + render_svg(r, false) + chart_key(r, false);
  h += "<h2>Commit latency p99 against predicted loss window</h2>\n" + render_svg(r, true) + chart_key(r, true);
  h += render_compare_plots(r);
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
