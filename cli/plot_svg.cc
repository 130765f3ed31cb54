#include "cli/plot_svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "cli/html_escape.h"

namespace replsim::cli {
namespace {

constexpr double kLeft = 74, kRight = 30, kTop = 26, kBottom = 44, kLegendRow = 16;
constexpr int kYTicks = 5;
// About one x tick per 90 px.
int x_tick_target(const PlotSpec& spec) { return static_cast<int>((spec.width - kLeft - kRight) / 90); }

std::string trim_number(double v, int decimals) {
  std::string s = fmt::format("{:.{}f}", v, decimals);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s == "-0" ? "0" : s;
}

// Decimals enough to tell 0.05 from 0.1, never more than 3.
int decimals_for(double v) {
  const double a = std::fabs(v);
  if (a == 0 || a >= 10) return 0;
  if (a >= 1) return 1;
  if (a >= 0.1) return 2;
  return 3;
}

// The axis range of one dimension, with the scale that maps it to pixels.
struct Axis {
  double lo = 0, hi = 1;
  bool log = false;
  double p0 = 0, p1 = 1;  // Pixels of lo and hi.

  double map(double v) const {
    if (log) {
      const double lv = std::log10(std::max(v, lo));
      return p0 + (lv - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) * (p1 - p0);
    }
    return p0 + (v - lo) / (hi - lo) * (p1 - p0);
  }
};

// The data's extent in one dimension; linear axes include 0 when `from_zero`.
// The ticks of [lo, hi] in `unit`: bytes at 1-2-5 steps of B, kB or MB (so 16 kB, not 16.4 kB),
// counts and bytes in whole units only.
std::vector<double> axis_ticks(double lo, double hi, bool log, int target, PlotUnit unit) {
  double scale = 1;
  if (unit == PlotUnit::kBytes && !log)
    while (scale < 1024.0 * 1024 && std::max(std::fabs(lo), std::fabs(hi)) / scale >= 1024 * 2) scale *= 1024;
  std::vector<double> ticks = plot_ticks(lo / scale, hi / scale, log, target);
  for (double& t : ticks) t *= scale;
  if (unit == PlotUnit::kCount || unit == PlotUnit::kBytes)
    ticks.erase(std::remove_if(ticks.begin(), ticks.end(), [](double t) { return t != std::floor(t); }), ticks.end());
  return ticks;
}

Axis fit_axis(std::vector<double> values, bool log, bool from_zero, double forced_lo, double forced_hi, PlotUnit unit,
              int target) {
  Axis a;
  a.log = log;
  if (forced_lo < forced_hi) {
    a.lo = forced_lo;
    a.hi = forced_hi;
    return a;
  }
  if (log) values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return !(v > 0); }), values.end());
  if (values.empty()) {
    a.lo = log ? 0.1 : 0;
    a.hi = log ? 10 : 1;
    return a;
  }
  const auto [mn, mx] = std::minmax_element(values.begin(), values.end());
  a.lo = *mn;
  a.hi = *mx;
  if (log) {
    a.lo = std::pow(10, std::floor(std::log10(a.lo) * 2) / 2);  // Half-decade bounds.
    a.hi = std::pow(10, std::ceil(std::log10(a.hi) * 2 + 1e-9) / 2);
    if (a.hi <= a.lo) a.hi = a.lo * 10;
    return a;
  }
  if (from_zero) a.lo = std::min(a.lo, 0.0);
  if (a.hi <= a.lo) a.hi = a.lo + 1;
  const std::vector<double> ticks = axis_ticks(a.lo, a.hi, false, target, unit);
  if (!ticks.empty() && ticks.back() < a.hi) a.hi = ticks.back() + (ticks.size() > 1 ? ticks[1] - ticks[0] : 1);
  return a;
}

std::string grid(const PlotSpec& spec, const Axis& x, const Axis& y) {
  std::string s;
  for (double t : axis_ticks(x.lo, x.hi, x.log, x_tick_target(spec), spec.x_unit)) {
    const double px = x.map(t);
    s += fmt::format(
        R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2:.1f}" stroke="#e3e6ec"/><text class="plot-tick-x" x="{0:.1f}" y="{3:.1f}" text-anchor="middle">{4}</text>)"
        "\n",
        px, y.p1, y.p0, y.p0 + 15, html_escape(format_plot_value(t, spec.x_unit)));
  }
  for (double t : axis_ticks(y.lo, y.hi, y.log, kYTicks, spec.y_unit)) {
    const double py = y.map(t);
    s += fmt::format(
        R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{2:.1f}" y2="{1:.1f}" stroke="#e3e6ec"/><text class="plot-tick-y" x="{3:.1f}" y="{4:.1f}" text-anchor="end">{5}</text>)"
        "\n",
        x.p0, py, x.p1, x.p0 - 6, py + 4, html_escape(format_plot_value(t, spec.y_unit)));
  }
  s += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="none" stroke="#9aa3b2"/>)"
                   "\n",
                   x.p0, y.p1, x.p1 - x.p0, y.p0 - y.p1);
  s += fmt::format(R"(<text class="plot-title-x" x="{:.1f}" y="{:.1f}" text-anchor="middle">{}</text>)"
                   "\n",
                   (x.p0 + x.p1) / 2, spec.height - 8, html_escape(spec.x_title));
  s += fmt::format(
      R"~(<text class="plot-title-y" transform="translate(14,{:.1f}) rotate(-90)" text-anchor="middle">{}</text>)~"
      "\n",
      (y.p0 + y.p1) / 2, html_escape(spec.y_title));
  return s;
}

std::string bands(const PlotSpec& spec, const Axis& x, const Axis& y) {
  std::string s;
  for (const auto& b : spec.bands) {
    const double x0 = std::clamp(x.map(b.x0), x.p0, x.p1), x1 = std::clamp(x.map(b.x1), x.p0, x.p1);
    const double w = std::max(x1 - x0, 3.0);  // An instant still shows.
    s += fmt::format(
        R"(<g class="tip"><title>{0}</title><rect class="plot-band" data-band="{1}" x="{2:.1f}" y="{3:.1f}" width="{4:.1f}" height="{5:.1f}" fill="{6}" fill-opacity="0.13" stroke="{6}" stroke-opacity="0.35"/></g>)"
        "\n",
        html_escape(b.label), html_escape(b.kind), x0, y.p1, w, y.p0 - y.p1, html_escape(b.color));
  }
  return s;
}

// The bands' labels, over the bars and lines, in up to three rows so that neighbours do not collide.
std::string band_labels(const PlotSpec& spec, const Axis& x, const Axis& y) {
  std::string s;
  int row = 0;
  for (const auto& b : spec.bands)
    s += fmt::format(
        R"(<text class="plot-band-label" x="{:.1f}" y="{:.1f}" font-size="10.5" fill="{}" stroke="#fff" stroke-width="3" paint-order="stroke">{}</text>)"
        "\n",
        std::min(std::clamp(x.map(b.x0), x.p0, x.p1) + 3, x.p1 - 6.2 * static_cast<double>(b.label.size())),
        y.p1 + 12 + 11.0 * (row++ % 3), html_escape(b.color), html_escape(b.label));
  return s;
}

std::string bars(const PlotSpec& spec, const Axis& x, const Axis& y) {
  std::string s;
  for (const auto& b : spec.bars) {
    const double x0 = x.map(b.x0), x1 = x.map(b.x1), top = y.map(b.y0 + b.y), bottom = y.map(b.y0);
    s += fmt::format(
        R"(<rect class="plot-bar tip" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"><title>{}</title></rect>)"
        "\n",
        x0 + 0.5, top, std::max(x1 - x0 - 1, 1.0), std::max(bottom - top, 0.0), html_escape(b.color),
        html_escape(b.title));
  }
  return s;
}

std::string series_path(const PlotSeries& ser, const Axis& x, const Axis& y) {
  std::string d;
  for (size_t i = 0; i < ser.points.size(); ++i) {
    const double px = x.map(ser.points[i].first), py = y.map(ser.points[i].second);
    if (i == 0) d += fmt::format("M{:.1f},{:.1f}", px, py);
    else if (ser.step) d += fmt::format(" H{:.1f} V{:.1f}", px, py);
    else d += fmt::format(" L{:.1f},{:.1f}", px, py);
  }
  return d;
}

std::string lines(const PlotSpec& spec, const Axis& x, const Axis& y) {
  std::string s;
  for (const auto& ser : spec.series) {
    if (ser.points.empty()) continue;
    s += fmt::format(R"(<path class="plot-line" data-series="{}" d="{}" fill="none" stroke="{}" stroke-width="2"{}/>)"
                     "\n",
                     html_escape(ser.name), series_path(ser, x, y), html_escape(ser.color),
                     ser.dash.empty() ? "" : fmt::format(R"( stroke-dasharray="{}")", html_escape(ser.dash)));
    if (!ser.markers) continue;
    for (const auto& [vx, vy] : ser.points)
      s += fmt::format(
          R"(<circle class="plot-point tip" data-series="{}" cx="{:.1f}" cy="{:.1f}" r="3" fill="{}"><title>{}: {} at {}</title></circle>)"
          "\n",
          html_escape(ser.name), x.map(vx), y.map(vy), html_escape(ser.color), html_escape(ser.name),
          html_escape(format_plot_value(vy, spec.y_unit)), html_escape(format_plot_value(vx, spec.x_unit)));
  }
  return s;
}

// One entry per series and per band kind, in rows above the plot; `rows` is how many.
std::string legend(const PlotSpec& spec, double x0, int* rows) {
  std::string s;
  double x = x0, y = 6;
  *rows = 1;
  auto entry = [&](const std::string& swatch, const std::string& text) {
    const double w = 30 + 6.3 * static_cast<double>(text.size());
    if (x > x0 && x + w > spec.width - kRight) {
      x = x0;
      y += kLegendRow;
      ++*rows;
    }
    s += fmt::format(
        R"~(<g class="plot-legend" transform="translate({:.1f},{:.1f})">{}<text x="18" y="10">{}</text></g>)~", x, y,
        swatch, html_escape(text));
    x += w;
  };
  for (const auto& ser : spec.series)
    entry(fmt::format(R"(<line x1="0" y1="6" x2="14" y2="6" stroke="{}" stroke-width="3"{}/>)", html_escape(ser.color),
                      ser.dash.empty() ? "" : fmt::format(R"( stroke-dasharray="{}")", html_escape(ser.dash))),
          ser.name);
  for (const auto& [name, color] : spec.bar_keys)
    entry(fmt::format(R"(<rect width="14" height="12" fill="{}"/>)", html_escape(color)), name);
  std::set<std::string> kinds;
  for (const auto& b : spec.bands) {
    if (!kinds.insert(b.kind).second) continue;
    entry(fmt::format(R"(<rect width="14" height="12" fill="{0}" fill-opacity="0.2" stroke="{0}"/>)",
                      html_escape(b.color)),
          b.legend.empty() ? b.kind : b.legend);
  }
  return s + "\n";
}

}  // namespace

std::string format_plot_value(double v, PlotUnit unit) {
  switch (unit) {
    case PlotUnit::kBytes: {
      const double a = std::fabs(v);
      if (a < 1024) return trim_number(v, 0) + " B";
      if (a < 1024.0 * 1024) return trim_number(v / 1024, decimals_for(v / 1024)) + " kB";
      return trim_number(v / (1024.0 * 1024), decimals_for(v / (1024.0 * 1024))) + " MB";
    }
    case PlotUnit::kCount: return trim_number(v, decimals_for(v));
    case PlotUnit::kMs: return trim_number(v, decimals_for(v)) + " ms";
    case PlotUnit::kSeconds: return trim_number(v, decimals_for(v)) + " s";
    case PlotUnit::kFraction: return trim_number(v * 100, decimals_for(v * 100)) + " %";
  }
  return trim_number(v, 2);
}

std::vector<double> plot_ticks(double lo, double hi, bool log, int target) {
  std::vector<double> ticks;
  if (!(hi > lo)) return {lo};
  target = std::max(target, 2);
  if (log) {
    lo = std::max(lo, 1e-9);
    const bool fine = std::log10(hi / lo) <= 2.5;
    for (double d = std::pow(10, std::floor(std::log10(lo))); d <= hi * 1.0001; d *= 10)
      for (double m : {1.0, 2.0, 5.0})
        if ((m == 1.0 || fine) && d * m >= lo * 0.9999 && d * m <= hi * 1.0001) ticks.push_back(d * m);
    return ticks;
  }
  const double raw = (hi - lo) / target;
  const double mag = std::pow(10, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (mag * m >= raw) {
      step = mag * m;
      break;
    }
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-6; t += step)
    ticks.push_back(std::fabs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

std::string render_plot_svg(const PlotSpec& spec) {
  std::vector<double> xs, ys;
  for (const auto& ser : spec.series)
    for (const auto& [vx, vy] : ser.points) {
      xs.push_back(vx);
      ys.push_back(vy);
    }
  for (const auto& b : spec.bars) {
    xs.insert(xs.end(), {b.x0, b.x1});
    ys.push_back(b.y0 + b.y);
  }
  const bool empty = xs.empty();
  for (const auto& b : spec.bands) xs.insert(xs.end(), {b.x0, b.x1});
  Axis x = fit_axis(xs, spec.log_x, false, spec.x_lo, spec.x_hi, spec.x_unit, x_tick_target(spec));
  Axis y = fit_axis(ys, spec.log_y, true, spec.y_lo, spec.y_hi, spec.y_unit, kYTicks);
  int legend_rows = 1;
  const std::string key = legend(spec, kLeft, &legend_rows);
  x.p0 = kLeft;
  x.p1 = spec.width - kRight;
  y.p0 = spec.height - kBottom;
  y.p1 = kTop + kLegendRow * (legend_rows - 1);
  std::string s = fmt::format(
      R"(<svg class="plot" data-plot="{0}" width="{1:g}" height="{2:g}" viewBox="0 0 {1:g} {2:g}" font-size="11">)"
      "\n",
      html_escape(spec.id), spec.width, spec.height);
  s += key;
  s += grid(spec, x, y);
  s += bands(spec, x, y);
  s += bars(spec, x, y);
  s += lines(spec, x, y);
  s += band_labels(spec, x, y);
  if (empty)
    s += fmt::format(R"(<text class="plot-empty" x="{:.1f}" y="{:.1f}" text-anchor="middle" fill="#5b6475">{}</text>)",
                     (x.p0 + x.p1) / 2, (y.p0 + y.p1) / 2, html_escape(spec.empty_text));
  s += "</svg>\n";
  return s;
}

}  // namespace replsim::cli
