// The timeline page's drawing: the SVG chart (step axis, a group of lanes per run, LSN lines,
// lag, fault bands, state ribbons and transaction marks) drawn from a TimelineLayout, and the
// styles and text helpers the rest of the page shares with it (TimelinePage).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/html_timeline.h"
#include "cli/timeline_layout.h"

namespace replsim::cli {

// How a transaction's fate looks: its data-fate id, its name in the legend, its colour.
struct FateStyle {
  TxFate fate;
  const char* id;
  const char* name;
  const char* color;
};
// Every fate, in the order the legend and the cards list them.
inline constexpr FateStyle kFateStyles[] = {
    {TxFate::kKept, "acknowledged-kept", "acknowledged, kept", "#2ca02c"},
    {TxFate::kLost, "acknowledged-lost", "acknowledged, then LOST", "#d62728"},
    {TxFate::kAcknowledged, "acknowledged", "acknowledged (end state unknown)", "#2ca02c"},
    {TxFate::kBlocked, "blocked", "blocked on a sync standby", "#ff7f0e"},
    {TxFate::kInDoubt, "in-doubt", "in doubt (connection lost)", "#9467bd"},
    {TxFate::kCancelled, "cancelled", "wait cancelled (local only)", "#8c564b"},
    {TxFate::kFailed, "failed", "failed (not committed)", "#7f7f7f"},
    {TxFate::kEither, "either", "either (timing decides)", "#b8a300"},
};
const FateStyle& fate_style(TxFate fate);
// The colour of a fault band of `kind` (a kTimelineBandKinds kind); grey for any other.
const char* band_color(std::string_view kind);
// A transaction's mark, centred on (x, y) with radius r: its shape tells its fate.
std::string mark_shape(TxFate fate, double x, double y, double r);

// Text as the page shows it.
std::string fmt_time(int64_t us);      // "412 µs", "3.1 ms", "1.25 s".
std::string fmt_bytes(int64_t bytes);  // "184 B", "24.8 kB", "1.2 MB".
// `text` cut to `max_chars` bytes (at a UTF-8 boundary) with "…".
std::string shorten(const std::string& text, size_t max_chars);
// Splits `text` in two at the last space that keeps the first line within `max_chars`.
std::pair<std::string, std::string> split_line(const std::string& text, size_t max_chars);

// The rough width of `text` in CSS pixels at `font_size` (generous, so that labels kept apart
// by it are apart in a browser).
double text_width(const std::string& text, double font_size);

// The rectangles labels already take: a label is drawn only where it overlaps none (its mark
// or band keeps its tooltip), so crowded pages thin their labels instead of piling them up.
class LabelSpace {
 public:
  // Takes the box (x, y)-(x+w, y+h) and returns true if it is free; false (taking nothing) if not.
  bool take(double x, double y, double w, double h);
  // The box of a one-line label with its baseline at y: anchored at its start, or its middle.
  bool take_text(double x, double y, const std::string& text, double font_size, bool middle = false);
  void clear() { boxes_.clear(); }

 private:
  struct Box {
    double x0, y0, x1, y1;
  };
  std::vector<Box> boxes_;
};

// Draws the chart: one string, one method per part, in drawing order (later parts on top).
class TimelineSvg {
 public:
  explicit TimelineSvg(const TimelineLayout& layout) : layout_(layout) {}
  // `<div class="chart"><svg id="timeline" ...>...</svg></div>`.
  std::string render();

 private:
  void axis(double height);
  void group(const RunView& view, double top);
  void lane(const RunView& view, const std::string& node, double top);
  void lane_label(const RunView& view, const std::string& node, double top);
  void lane_states(const RunView& view, const std::string& node, double top);
  void lane_bands(const RunView& view, const std::string& node, double top);
  void lane_lag(const RunView& view, const std::string& node, double top);
  void lane_lines(const RunView& view, const std::string& node, double top);
  void lane_cells(const RunView& view, const std::string& node, double top);
  void lane_marks(const RunView& view, const std::string& node, double top);
  void lane_ghosts(const RunView& view, const std::string& node, double top);
  void lane_waits(const RunView& view, const std::string& node, double top);  // timeline_waits.cc
  void header_times(const RunView& view, double top);
  void axis_column(const RunView* first, size_t column);
  std::string tx_title(const RunView& view, const TxRecord& tx, TxFate fate) const;
  // Where a transaction's mark goes across: its column's middle, or spread over a group's column.
  double tx_x(const RunView& view, const TxRecord& tx) const;

  const TimelineLayout& layout_;
  std::string out_;
  LabelSpace axis_space_;    // The step axis's labels.
  std::string axis_labels_;  // Drawn after the axis's columns.
  LabelSpace space_;         // The labels of the group header or lane being drawn.
};

}  // namespace replsim::cli
