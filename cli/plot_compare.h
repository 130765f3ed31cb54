// The plots of `replsim compare --html` beside its scatter: commit latency over time, one
// small plot per configuration (median and maximum per interval, the partition shaded), and
// the commit latency CDF of the steady state, one plot per added latency with a line per
// configuration. Drawn by plot_svg.h from each row's measured commit series
// (harness::BenchMeasure::commit_series). How to read them: docs/compare.md.
#pragma once

#include <string>
#include <vector>

#include "cli/compare_report.h"
#include "cli/plot_svg.h"

namespace replsim::cli {

// One plot per row: x = seconds since the clients started, y = commit latency (ms, log).
PlotSpec latency_over_time_plot(const CompareRow& row, size_t index);
// One plot per added latency, in the order the rows first use it: x = commit latency (ms,
// log), y = fraction of the steady state's commits at most that slow.
std::vector<PlotSpec> latency_cdf_plots(const CompareReport& report);

// The page's sections for both kinds of plot, as HTML (no script).
std::string render_compare_plots(const CompareReport& report);

}  // namespace replsim::cli
