#include "cli/plot_timeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/html_escape.h"
#include "cli/html_timeline.h"
#include "cli/timeline_svg.h"

namespace replsim::cli {
namespace {

constexpr const char* kStandbyColors[] = {"#1b7837", "#7b3294", "#e08214", "#2166ac", "#b2182b", "#35978f"};

// The run's clock for the plots' x axis: seconds when the run lasts 2 s or more, else
// milliseconds; step numbers when every step has the same time (nothing to spread out).
struct RunClock {
  PlotUnit unit = PlotUnit::kMs;
  bool by_step = false;
  std::vector<std::optional<double>> at;  // By column: the x of the world after that step.
  double end = 0;

  RunClock(const TimelineLayout& layout, const RunView& view) {
    int64_t lo = 0, hi = 0;
    bool any = false;
    for (const TimelineEntry* e : view.entries)
      if (e != nullptr) {
        lo = any ? std::min(lo, e->time_us) : e->time_us;
        hi = any ? std::max(hi, e->time_us) : e->time_us;
        any = true;
      }
    by_step = !any || hi == lo;
    unit = by_step ? PlotUnit::kCount : hi >= 2'000'000 ? PlotUnit::kSeconds : PlotUnit::kMs;
    for (size_t c = 0; c < layout.columns().size(); ++c) {
      const TimelineEntry* e = view.entries[c];
      if (by_step) at.emplace_back(static_cast<double>(c));
      else if (e == nullptr) at.emplace_back(std::nullopt);
      else at.emplace_back(x_of_us(e->time_us));
      if (at.back()) end = std::max(end, *at.back());
    }
  }
  double x_of_us(int64_t us) const { return static_cast<double>(us) / (unit == PlotUnit::kSeconds ? 1e6 : 1e3); }
  // The x of column `c`, or of the nearest earlier column that has one.
  double x_at(size_t c) const {
    for (size_t i = std::min(c, at.size() - 1) + 1; i-- > 0;)
      if (at[i]) return *at[i];
    return 0;
  }
  std::string title() const {
    return by_step                      ? "step (every step has the same time)"
           : unit == PlotUnit::kSeconds ? "time since the run's start (s)"
                                        : "time since the run's start (ms)";
  }
};

// A fault band from the world after its first step to the world after the step that ended
// it (or the run's end).
PlotBand band_of(const TimelineBand& b, const RunClock& clock, size_t columns) {
  PlotBand p;
  p.kind = b.kind;
  p.x0 = clock.x_at(b.first);
  p.x1 = b.last + 1 < columns ? clock.x_at(b.last + 1) : clock.end;
  p.label = b.node == "*" ? b.label : fmt::format("{}: {}", b.node, b.label);
  p.color = band_color(b.kind);
  for (const auto& k : kTimelineBandKinds)
    if (b.kind == k.kind) p.legend = k.label;
  return p;
}

}  // namespace

namespace {
// Both plots of a run share its x axis: from 0 (or the first step) to its last step.
PlotSpec run_plot(const RunClock& clock, std::string id, PlotUnit y_unit, const char* empty_text) {
  PlotSpec spec;
  spec.id = std::move(id);
  spec.x_lo = clock.by_step ? -0.5 : 0;
  spec.x_hi = clock.by_step ? clock.end + 0.5 : std::max(clock.end, 1e-3);
  spec.x_title = clock.title();
  spec.x_unit = clock.unit;
  spec.y_unit = y_unit;
  spec.empty_text = empty_text;
  return spec;
}
}  // namespace

PlotSpec lag_plot(const TimelineLayout& layout, const RunView& view) {
  const RunClock clock(layout, view);
  PlotSpec spec = run_plot(clock, "lag-" + view.id, PlotUnit::kBytes, "no standby");
  spec.y_title = "replay lag (bytes)";
  size_t colour = 0;
  for (const auto& node : layout.nodes()) {
    PlotSeries s;
    s.name = node;
    s.step = true;
    for (size_t c = 0; c < layout.columns().size(); ++c) {
      const NodePosition* p = position_of(view.entries[c], node);
      if (p == nullptr || !clock.at[c] || !view.head[c] || is_primary_like(*p)) continue;
      s.points.emplace_back(*clock.at[c], static_cast<double>(lag_bytes(*view.head[c], p->replay_lsn)));
    }
    if (s.points.empty()) continue;
    s.color = kStandbyColors[colour++ % std::size(kStandbyColors)];
    spec.series.push_back(std::move(s));
  }
  for (const auto& b : layout.bands())
    if (b.kind == "partition") spec.bands.push_back(band_of(b, clock, layout.columns().size()));
  return spec;
}

namespace {
// A commit that was asked for and never acknowledged: still waiting, in doubt, or its wait cancelled.
bool unacknowledged_commit(const TxRecord& t) {
  if (t.outcomes.size() != 1) return false;
  const TxOutcome o = t.outcomes[0];
  return o == TxOutcome::kBlocked || o == TxOutcome::kInDoubt || o == TxOutcome::kCancelled;
}

// Bars of `counts` per interval of `width`, stacked on `base` (which they then raise).
void add_bars(const std::vector<int>& counts, double width, double shift, const RunClock& clock, const char* color,
              const char* what, std::vector<int>* base, PlotSpec* spec) {
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    const double x0 = static_cast<double>(i) * width - shift;
    spec->bars.push_back(PlotBar{x0, x0 + width, static_cast<double>(counts[i]), color,
                                 fmt::format("{} {} in [{}, {})", counts[i], what, format_plot_value(x0, clock.unit),
                                             format_plot_value(x0 + width, clock.unit)),
                                 static_cast<double>((*base)[i])});
    (*base)[i] += counts[i];
  }
}
}  // namespace

PlotSpec throughput_plot(const TimelineLayout& layout, const RunView& view) {
  const RunClock clock(layout, view);
  PlotSpec spec = run_plot(clock, "throughput-" + view.id, PlotUnit::kCount, "no commit");
  std::vector<std::pair<double, bool>> commits;  // (x, acknowledged) of every commit asked for.
  for (const auto& t : view.run->transactions) {
    const bool acked = t.outcomes.size() == 1 && t.outcomes[0] == TxOutcome::kAcknowledged;
    if (!acked && !unacknowledged_commit(t)) continue;
    auto c = layout.column_of(t.step);
    if (clock.by_step) commits.emplace_back(c ? static_cast<double>(*c) : 0, acked);
    else commits.emplace_back(t.commit_time_us > 0 ? clock.x_of_us(t.commit_time_us) : c ? clock.x_at(*c) : 0, acked);
  }
  // Intervals of a 1-2-5 width, about 24 over the run (one per step on a step axis).
  double end = clock.end;
  for (const auto& [x, acked] : commits) end = std::max(end, x);
  std::vector<double> ticks = plot_ticks(0, std::max(end, 1e-3), false, 24);
  const double width = clock.by_step ? 1 : ticks.size() > 1 ? ticks[1] - ticks[0] : std::max(end, 1.0);
  spec.y_title = clock.by_step ? "commits per step" : "commits per " + format_plot_value(width, clock.unit);
  const size_t n = static_cast<size_t>(std::floor(end / width)) + 1;
  std::vector<int> acked_counts(n, 0), waiting_counts(n, 0), base(n, 0);
  for (const auto& [x, acked] : commits)
    ++(acked ? acked_counts : waiting_counts)[std::min(n - 1, static_cast<size_t>(std::max(0.0, x / width)))];
  const double shift = clock.by_step ? 0.5 : 0;
  add_bars(acked_counts, width, shift, clock, "#4a6fa5", "acknowledged", &base, &spec);
  add_bars(waiting_counts, width, shift, clock, "#e6842a", "not acknowledged (blocked, in doubt, cancelled)", &base,
           &spec);
  spec.bar_keys = {{"acknowledged", "#4a6fa5"}, {"not acknowledged", "#e6842a"}};
  for (const auto& b : layout.bands()) spec.bands.push_back(band_of(b, clock, layout.columns().size()));
  return spec;
}

std::string render_timeline_plots(const TimelineLayout& layout) {
  if (layout.views().empty()) return "";
  std::string out =
      "<h2>Lag and throughput over time</h2>\n<p class=\"muted\">Replay lag: how far each standby's replay LSN "
      "is behind the newest primary's flush LSN after each step (partitions shaded). Throughput: commits per "
      "interval, acknowledged (blue) and never acknowledged: blocked, in doubt or cancelled (orange); faults shaded. Hover a point, bar or band for its value.</p>\n";
  for (const auto& v : layout.views()) {
    out += fmt::format("<div class=\"plots chart\" data-run=\"{}\"><p style=\"margin:6px 12px 0\"><b>{}</b></p>\n",
                       v.id, html_escape(v.title));
    out += render_plot_svg(lag_plot(layout, v));
    out += render_plot_svg(throughput_plot(layout, v));
    out += "</div>\n";
  }
  return out;
}

}  // namespace replsim::cli
