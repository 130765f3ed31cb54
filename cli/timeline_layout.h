// The timeline page's layout: what goes where, before anything is drawn. Columns are the
// scenario's steps (column i shows the world right after step i), lanes are the nodes, bands
// are the faults the steps open and close, and each run (predicted, observed) is a view with
// its own LSN scale. TimelineSvg and TimelinePage draw from it; docs/timelines.md says how
// to read the result.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/html_timeline.h"
#include "vocab/lsn.h"
#include "vocab/run_result.h"
#include "vocab/scenario.h"

namespace replsim::cli {

// Page geometry, in CSS pixels.
inline constexpr double kTimelineLeft = 190;        // Lane names and LSN ticks.
inline constexpr double kTimelineRight = 120;       // Room for the labels of the last column's marks.
inline constexpr double kTimelinePlotWidth = 1030;  // Shared by the columns, within the limits below.
inline constexpr double kTimelineColumnMin = 84;    // Step axis: below it, labels thin out (never wider than the plot).
inline constexpr double kTimelineTimeColumnMin = 36;  // Time axis: each step's least width (less for many steps).
inline constexpr double kTimelineColumnMax = 170;
inline constexpr double kTimelineAxisHeight = 64;
inline constexpr double kTimelineGroupHeader = 66;
inline constexpr double kTimelineGroupGap = 18;
inline constexpr double kTimelineLaneHeight = 112;
inline constexpr double kTimelineLaneGap = 8;
inline constexpr double kTimelineRibbonHeight = 16;
inline constexpr double kTimelinePlotTop = 24;     // Below the lane's top: room for band labels.
inline constexpr double kTimelinePlotBottom = 26;  // Above the state ribbon: room for the wait bands.

// The kinds of fault band, in the order the legend lists them. `kind` is the page's
// data-band id; "noprimary" belongs to the whole cluster (node "*").
struct TimelineBandKind {
  const char* kind;
  const char* label;
};
inline constexpr TimelineBandKind kTimelineBandKinds[] = {
    {"partition", "partitioned"}, {"pause", "paused"},         {"crash", "crashed"},
    {"stop", "stopped"},          {"wipe", "wiped"},           {"noprimary", "no primary"},
    {"stall", "disk stalled"},    {"replay", "replay paused"},
};

struct TimelineColumn {
  int step = -1;
  std::string head;    // "step 3" or "start"; "steps 3–22" for a group.
  std::string text;    // The step as written; "20 × insert into customers" for a group.
  int last_step = -1;  // A group of repeated steps (step..last_step) shares one column.
  size_t count() const { return last_step > step ? static_cast<size_t>(last_step - step + 1) : 1; }
};

// A fault shading cells first..last (inclusive) of one node's lane.
struct TimelineBand {
  std::string node;  // "*" for the whole cluster.
  size_t first = 0;
  size_t last = 0;
  std::string kind;
  std::string label;
};

// One run as the page lays it out.
struct RunView {
  const RunResult* run = nullptr;
  std::string id;  // "predicted" or "observed".
  std::string title;
  std::vector<const TimelineEntry*> entries;  // By column; null where the run has none (a group: its last step's).
  std::vector<std::vector<const TimelineEntry*>> column_entries;  // By column: every step's entry in it.
  std::vector<double> edges;             // By column: its left x; one more at the end (the right x of the last column).
  std::vector<std::optional<Lsn>> head;  // By column: the newest primary's flush LSN.
  Lsn lo, hi;                            // The run's LSN range, for the lanes' y axis.
  const NodeFinal* final_primary = nullptr;
};

// `entry`'s position of `node`, or null.
const NodePosition* position_of(const TimelineEntry* entry, const std::string& node);
// A primary, or a node with no standby positions: drawn with insert and flush LSNs.
bool is_primary_like(const NodePosition& p);

class TimelineLayout {
 public:
  // `predicted` and `observed` may each be null; both must outlive the layout, as must `scenario`.
  TimelineLayout(const Scenario& scenario, const RunResult* predicted, const RunResult* observed,
                 TimelineAxis axis = TimelineAxis::kAuto);

  const Scenario& scenario() const { return scenario_; }
  const std::vector<TimelineColumn>& columns() const { return columns_; }
  const std::vector<std::string>& nodes() const { return nodes_; }  // One lane each, per run.
  const std::vector<TimelineBand>& bands() const { return bands_; }
  const std::vector<RunView>& views() const { return views_; }  // The prediction first.
  double col_width() const { return col_width_; }

  double x_left(size_t column) const { return kTimelineLeft + static_cast<double>(column) * col_width_; }
  double x_mid(size_t column) const { return x_left(column) + col_width_ / 2; }
  // The same in one run's own geometry (on the time axis each run has its own).
  double x_left(const RunView& view, size_t column) const { return view.edges[column]; }
  double x_mid(const RunView& view, size_t column) const { return (view.edges[column] + view.edges[column + 1]) / 2; }
  double width(const RunView& view, size_t column) const { return view.edges[column + 1] - view.edges[column]; }
  // Where `time_us` of `view`'s run falls: within the column of the step it fell in, in proportion.
  double x_at(const RunView& view, int64_t time_us) const;
  bool time_axis() const { return time_axis_; }
  // The height of `lsn` in a lane whose top is `top`; mid-lane for LSN 0 (never committed).
  double y_of(const RunView& view, Lsn lsn, double top) const;
  double chart_width() const {
    return kTimelineLeft + static_cast<double>(columns_.size()) * col_width_ + kTimelineRight;
  }
  // The height of one run's group: its header and a lane per node.
  double group_height() const {
    return kTimelineGroupHeader + static_cast<double>(nodes_.size()) * (kTimelineLaneHeight + kTimelineLaneGap);
  }
  double chart_height() const;
  std::optional<size_t> column_of(int step) const;

 private:
  void build_columns();
  void build_nodes();
  void build_bands();
  RunView view_of(const RunResult* run, std::string id, std::string title) const;
  std::vector<double> step_edges() const;
  std::vector<double> time_edges(const RunView& view) const;
  bool durations_differ(const RunView& view) const;
  std::vector<std::pair<int64_t, int64_t>> spans(const RunView& view) const;

  const Scenario& scenario_;
  const RunResult* predicted_;
  const RunResult* observed_;
  std::vector<TimelineColumn> columns_;
  std::vector<std::string> nodes_;
  std::vector<TimelineBand> bands_;
  std::vector<RunView> views_;
  double col_width_ = kTimelineColumnMax;
  bool time_axis_ = false;
};

}  // namespace replsim::cli
