// Small hand-drawn SVG charts for the HTML pages: lines (straight or step-shaped), bars,
// points and shaded x intervals over linear or log axes with "nice" ticks, in units the pages
// need (bytes, counts, milliseconds, seconds, fractions). Pure formatting, no script, no
// external URL. Why hand-drawn SVG and not a plotting library: docs/timelines.md, "Plots".
//
// Every element carries a class and data-* attributes so tests (and the browser test, on
// the DOM Chromium built) can find them: <svg class="plot" data-plot=ID>, <path
// class="plot-line" data-series=NAME>, <rect class="plot-bar">, <circle class="plot-point">,
// <rect class="plot-band" data-band=KIND>, <text class="plot-tick-y">.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace replsim::cli {

enum class PlotUnit {
  kBytes,     // 0 B, 512 B, 1.5 kB, 2 MB (1024-based, as pg_size_pretty).
  kCount,     // 0, 5, 10.
  kMs,        // 0.1 ms, 20 ms.
  kSeconds,   // 0 s, 1.5 s.
  kFraction,  // 0, 0.5, 1 shown as 0 %, 50 %, 100 %.
};

struct PlotSeries {
  std::string name;                               // Legend text and data-series.
  std::string color;                              // CSS colour.
  std::vector<std::pair<double, double>> points;  // (x, y), in x order.
  bool step = false;                              // Step-after: y holds until the next point.
  bool markers = true;                            // A dot at each point (with a hover title).
  std::string dash;                               // stroke-dasharray ("5 3"); "" for a solid line.
};

// A shaded x interval: a fault, a partition.
struct PlotBand {
  double x0 = 0, x1 = 0;
  std::string kind;   // data-band, e.g. "partition".
  std::string label;  // Written at the band's top and as its hover title.
  std::string color;
  std::string legend;  // The legend's name for this kind of band; "" = kind.
};

// A bar over [x0, x1) of height y, standing on y0 (stacked bars).
struct PlotBar {
  double x0 = 0, x1 = 0, y = 0;
  std::string color;
  std::string title;
  double y0 = 0;
};

struct PlotSpec {
  std::string id;  // data-plot.
  std::string x_title, y_title;
  PlotUnit x_unit = PlotUnit::kSeconds, y_unit = PlotUnit::kCount;
  bool log_x = false, log_y = false;  // Log axes ignore values <= 0 (clamped to the smallest positive).
  double width = 1000, height = 240;
  // Forced axis ranges; when lo >= hi the data decide (linear y starts at 0).
  double x_lo = 0, x_hi = 0, y_lo = 0, y_hi = 0;
  std::vector<PlotSeries> series;
  std::vector<PlotBand> bands;
  std::vector<PlotBar> bars;
  std::vector<std::pair<std::string, std::string>> bar_keys;  // Legend entries for the bars: (name, colour).
  std::string empty_text = "no data";  // Drawn when there is nothing to plot.
};

// One <svg class="plot">, legend included (one entry per series, one per band kind).
std::string render_plot_svg(const PlotSpec& spec);

// A value in `unit`, as an axis tick or a tooltip writes it.
std::string format_plot_value(double value, PlotUnit unit);

// Ticks for [lo, hi]: linear 1-2-5 steps (about `target` of them), or log decades with 2 and 5
// in between when the range is short.
std::vector<double> plot_ticks(double lo, double hi, bool log, int target = 6);

}  // namespace replsim::cli
