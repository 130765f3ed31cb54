// The timeline page around the chart: the HTML document (head and style, the scenario's
// header and banner, a card per run, the legend), the chart (TimelineSvg), the tables of
// transactions, lag checks and steps, the runs' notes, and the script for tooltips and
// highlighting. render_timeline_html (html_timeline.h) is its entry point.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cli/html_timeline.h"
#include "cli/timeline_layout.h"
#include "vocab/run_result.h"
#include "vocab/scenario.h"

namespace replsim::cli {

// Builds the page in one string; one method per part, in reading order.
class TimelinePage {
 public:
  // `scenario`, `predicted` and `observed` (each may be null) must outlive the page.
  TimelinePage(const Scenario& scenario, const RunResult* predicted, const RunResult* observed, PageBanner banner = {},
               TimelineAxis axis = TimelineAxis::kAuto);
  std::string render();

 private:
  void head();
  void header();
  void summary();
  void legend();
  static std::string fate_count(const std::map<TxFate, std::vector<std::string>>& by_fate, TxFate fate);
  void transactions_table();
  void waits_table();
  void presence_cells(const RunView& view, const std::string& label, TxFate fate);
  void lags_table();
  void notes();
  void steps_table();
  void script();

  const Scenario& scenario_;
  TimelineLayout layout_;
  PageBanner banner_;
  std::string out_;
};

}  // namespace replsim::cli
