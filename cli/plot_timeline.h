// The timeline page's plots, drawn below the lanes for each run (predicted, observed):
// replication lag over time per standby (bytes: the newest primary's flush LSN minus the
// standby's replay LSN, after each step; partitions shaded) and throughput over time
// (acknowledged commits per interval; every fault shaded). Built from the same layout as
// the lanes (timeline_layout.h), drawn by plot_svg.h. How to read them: docs/timelines.md.
#pragma once

#include <string>

#include "cli/plot_svg.h"
#include "cli/timeline_layout.h"

namespace replsim::cli {

// The lag plot and the throughput plot of one run.
PlotSpec lag_plot(const TimelineLayout& layout, const RunView& view);
PlotSpec throughput_plot(const TimelineLayout& layout, const RunView& view);

// The page's "Lag and throughput over time" section: both plots for every run, as HTML.
std::string render_timeline_plots(const TimelineLayout& layout);

}  // namespace replsim::cli
