#include "cli/html_timeline.h"

#include <cctype>
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace replsim::cli {
namespace {

// Page geometry, in CSS pixels. Columns are the scenario's steps: column i shows the
// world right after step i, so a fault from step a to its heal at step b shades a..b-1.
constexpr double kLeft = 190;         // Lane names and LSN ticks.
constexpr double kRight = 120;        // Room for the labels of the last column's marks.
constexpr double kPlotWidth = 1030;   // Shared by the columns, within the limits below.
constexpr double kColumnMin = 84;
constexpr double kColumnMax = 170;
constexpr double kAxisHeight = 64;
constexpr double kGroupHeader = 66;
constexpr double kGroupGap = 18;
constexpr double kLaneHeight = 112;
constexpr double kLaneGap = 8;
constexpr double kRibbonHeight = 16;
constexpr double kPlotTop = 24;       // Below the lane's top: room for band labels.
constexpr double kPlotBottom = 12;    // Above the state ribbon.

struct FateStyle {
  TxFate fate;
  const char* id;
  const char* name;
  const char* color;
};
constexpr FateStyle kFates[] = {
    {TxFate::kKept, "acknowledged-kept", "acknowledged, kept", "#2ca02c"},
    {TxFate::kLost, "acknowledged-lost", "acknowledged, then LOST", "#d62728"},
    {TxFate::kAcknowledged, "acknowledged", "acknowledged (end state unknown)", "#2ca02c"},
    {TxFate::kBlocked, "blocked", "blocked on a sync standby", "#ff7f0e"},
    {TxFate::kInDoubt, "in-doubt", "in doubt (connection lost)", "#9467bd"},
    {TxFate::kCancelled, "cancelled", "wait cancelled (local only)", "#8c564b"},
    {TxFate::kFailed, "failed", "failed (not committed)", "#7f7f7f"},
    {TxFate::kEither, "either", "either (timing decides)", "#b8a300"},
};

const FateStyle& style_of(TxFate fate) {
  for (const auto& s : kFates)
    if (s.fate == fate) return s;
  return kFates[0];
}

struct BandStyle {
  const char* kind;
  const char* label;
  const char* color;
};
constexpr BandStyle kBands[] = {
    {"partition", "partitioned", "#e6550d"}, {"pause", "paused", "#c9a100"},  {"crash", "crashed", "#444444"},
    {"stop", "stopped", "#777777"},          {"wipe", "wiped", "#a50f15"},    {"noprimary", "no primary", "#d62728"},
    {"stall", "disk stalled", "#6a3d9a"},
};

struct Column {
  int step = -1;
  std::string head;  // "step 3" or "start".
  std::string text;  // The step as written.
};

// A fault shading cells first..last (inclusive) of one node's lane.
struct Band {
  std::string node;
  size_t first = 0;
  size_t last = 0;
  std::string kind;
  std::string label;
};

struct RunView {
  const RunResult* run = nullptr;
  std::string id;     // "predicted" or "observed".
  std::string title;
  std::vector<const TimelineEntry*> entries;  // By column; null where the run has none.
  std::vector<std::optional<Lsn>> head;       // By column: the newest primary's flush LSN.
  Lsn lo, hi;                                 // The run's LSN range, for the lanes' y axis.
  const NodeFinal* final_primary = nullptr;
};

std::string fmt_time(int64_t us) {
  if (us < 1000) return fmt::format("{} µs", us);
  if (us < 1000000) return fmt::format("{:.1f} ms", static_cast<double>(us) / 1e3);
  return fmt::format("{:.2f} s", static_cast<double>(us) / 1e6);
}

std::string fmt_bytes(int64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  if (bytes < 1024 * 1024) return fmt::format("{:.1f} kB", static_cast<double>(bytes) / 1024);
  return fmt::format("{:.1f} MB", static_cast<double>(bytes) / (1024 * 1024));
}

std::string shorten(const std::string& text, size_t max_chars) {
  if (text.size() <= max_chars || max_chars < 2) return text;
  size_t cut = max_chars - 1;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary.
  return text.substr(0, cut) + "…";
}

// Splits `text` in two at the last space that keeps the first line within `max_chars`.
std::pair<std::string, std::string> split_line(const std::string& text, size_t max_chars) {
  if (text.size() <= max_chars) return {text, ""};
  size_t cut = text.rfind(' ', max_chars);
  if (cut == std::string::npos || cut == 0) return {shorten(text, max_chars), ""};
  return {text.substr(0, cut), text.substr(cut + 1)};
}

const NodePosition* position_of(const TimelineEntry* entry, const std::string& node) {
  if (entry == nullptr) return nullptr;
  for (const auto& p : entry->positions)
    if (p.node == node) return &p;
  return nullptr;
}

bool is_primary_like(const NodePosition& p) {
  return p.state == "primary" || (p.write_lsn.value == 0 && p.replay_lsn.value == 0);
}

// The LSN series drawn in a lane; `of` returns nothing where the series does not apply.
struct Series {
  const char* id;
  const char* name;
  std::optional<Lsn> (*of)(const NodePosition&);
};
std::optional<Lsn> nonzero(Lsn lsn) { return lsn.value == 0 ? std::nullopt : std::optional<Lsn>(lsn); }
constexpr Series kSeries[] = {
    {"insert", "primary insert LSN",
     [](const NodePosition& p) { return is_primary_like(p) ? nonzero(p.insert_lsn) : std::nullopt; }},
    {"write", "standby write LSN",
     [](const NodePosition& p) { return is_primary_like(p) ? std::nullopt : nonzero(p.write_lsn); }},
    {"flush", "primary flush LSN",
     [](const NodePosition& p) { return is_primary_like(p) ? nonzero(p.flush_lsn) : std::nullopt; }},
    {"replay", "standby replay LSN",
     [](const NodePosition& p) { return is_primary_like(p) ? std::nullopt : nonzero(p.replay_lsn); }},
};

std::string mark_shape(TxFate fate, double x, double y, double r) {
  const char* c = style_of(fate).color;
  switch (fate) {
    case TxFate::kKept:
      return fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="{:.1f}" fill="{}" stroke="#fff" stroke-width="1.5"/>)",
                         x, y, r, c);
    case TxFate::kLost:
      return fmt::format(
          R"(<circle cx="{0:.1f}" cy="{1:.1f}" r="{2:.1f}" fill="{3}" stroke="#fff" stroke-width="1.5"/>)"
          R"(<path d="M{4:.1f},{5:.1f}L{6:.1f},{7:.1f}M{4:.1f},{7:.1f}L{6:.1f},{5:.1f}" stroke="#fff" stroke-width="2.2"/>)",
          x, y, r, c, x - r * 0.45, y - r * 0.45, x + r * 0.45, y + r * 0.45);
    case TxFate::kAcknowledged:
      return fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="{:.1f}" fill="#fff" stroke="{}" stroke-width="2.5"/>)",
                         x, y, r - 1, c);
    case TxFate::kBlocked:
      return fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}" stroke="#fff"/>)",
                         x - r * 0.9, y - r * 0.9, r * 1.8, r * 1.8, c);
    case TxFate::kInDoubt:
      return fmt::format(R"(<polygon points="{0:.1f},{1:.1f} {2:.1f},{3:.1f} {0:.1f},{4:.1f} {5:.1f},{3:.1f}" fill="{6}" stroke="#fff"/>)",
                         x, y - r * 1.2, x + r * 1.2, y, y + r * 1.2, x - r * 1.2, c);
    case TxFate::kCancelled:
      return fmt::format(R"(<polygon points="{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}" fill="{}" stroke="#fff"/>)",
                         x - r * 1.1, y - r * 0.8, x + r * 1.1, y - r * 0.8, x, y + r * 1.1, c);
    case TxFate::kFailed:
      return fmt::format(R"(<path d="M{0:.1f},{1:.1f}L{2:.1f},{3:.1f}M{0:.1f},{3:.1f}L{2:.1f},{1:.1f}" stroke="{4}" stroke-width="3.5" stroke-linecap="round"/>)",
                         x - r * 0.8, y - r * 0.8, x + r * 0.8, y + r * 0.8, c);
    case TxFate::kEither:
      return fmt::format(
          R"(<circle cx="{0:.1f}" cy="{1:.1f}" r="{2:.1f}" fill="#fff" stroke="{3}" stroke-width="2"/>)"
          R"(<path d="M{0:.1f},{4:.1f}A{2:.1f},{2:.1f} 0 0 0 {0:.1f},{5:.1f}Z" fill="{3}"/>)",
          x, y, r - 1, c, y - r + 1, y + r - 1);
  }
  return "";
}

// Builds the page in one string; one method per part, drawn in reading order.
class Page {
 public:
  Page(const Scenario& scenario, const RunResult* predicted, const RunResult* observed, PageBanner banner = {});
  std::string render();

 private:
  void build_columns();
  void build_nodes();
  void build_bands();
  RunView view_of(const RunResult* run, std::string id, std::string title) const;
  using OpenBands = std::map<std::pair<std::string, std::string>, Band>;  // (node, kind) -> band.
  void open_band(OpenBands& open, const std::string& node, const std::string& kind, size_t column,
                 std::string label = "");
  void close_band(OpenBands& open, const std::string& node, const std::string& kind, size_t column);

  void head();
  void header();
  void summary();
  void legend();
  void chart();
  void axis(double height);
  void group(const RunView& view, double top);
  void lane(const RunView& view, const std::string& node, double top);
  void lane_label(const RunView& view, const std::string& node, double top);
  void lane_states(const RunView& view, const std::string& node, double top);
  void lane_bands(const std::string& node, double top);
  void lane_lag(const RunView& view, const std::string& node, double top);
  void lane_lines(const RunView& view, const std::string& node, double top);
  void lane_cells(const RunView& view, const std::string& node, double top);
  void lane_marks(const RunView& view, const std::string& node, double top);
  void lane_ghosts(const RunView& view, const std::string& node, double top);
  void transactions_table();
  void lags_table();
  void steps_table();
  void notes();
  void script();

  double x_left(size_t column) const { return kLeft + static_cast<double>(column) * col_width_; }
  double x_mid(size_t column) const { return x_left(column) + col_width_ / 2; }
  double y_of(const RunView& view, Lsn lsn, double top) const;
  double chart_width() const { return kLeft + static_cast<double>(columns_.size()) * col_width_ + kRight; }
  std::optional<size_t> column_of(int step) const;
  std::string cell_title(const RunView& view, size_t column) const;
  std::string tx_title(const RunView& view, const TxRecord& tx, TxFate fate) const;

  const Scenario& scenario_;
  const RunResult* predicted_;
  const RunResult* observed_;
  PageBanner banner_;
  std::vector<Column> columns_;
  std::vector<std::string> nodes_;
  std::vector<Band> bands_;
  std::vector<RunView> views_;
  double col_width_ = kColumnMax;
  std::string out_;
};

Page::Page(const Scenario& scenario, const RunResult* predicted, const RunResult* observed, PageBanner banner)
    : scenario_(scenario), predicted_(predicted), observed_(observed), banner_(std::move(banner)) {
  build_columns();
  build_nodes();
  build_bands();
  if (predicted_ != nullptr) {
    const std::string by = predicted_->source.empty() ? "simulator" : predicted_->source;
    views_.push_back(view_of(predicted_, "predicted", "Predicted (" + by + ")"));
  }
  if (observed_ != nullptr) {
    const std::string by = observed_->source.empty() ? "postgresql" : observed_->source;
    views_.push_back(view_of(observed_, "observed", "Observed (" + by + ")"));
  }
}

void Page::build_columns() {
  bool has_start = false;
  for (const RunResult* run : {predicted_, observed_})
    if (run != nullptr)
      for (const auto& e : run->timeline) has_start = has_start || e.step < 0;
  if (has_start) columns_.push_back({-1, "start", "before the first step"});
  for (size_t i = 0; i < scenario_.steps.size(); ++i)
    columns_.push_back({static_cast<int>(i), fmt::format("step {}", i + 1), scenario_.steps[i].text});
  if (columns_.empty()) columns_.push_back({-1, "start", "the scenario has no steps"});
  col_width_ = std::clamp(kPlotWidth / static_cast<double>(columns_.size()), kColumnMin, kColumnMax);
}

std::optional<size_t> Page::column_of(int step) const {
  for (size_t c = 0; c < columns_.size(); ++c)
    if (columns_[c].step == step) return c;
  return std::nullopt;
}

// Lanes: the scenario's nodes in its order, then any other node a result mentions.
void Page::build_nodes() {
  auto add = [this](const std::string& name) {
    if (!name.empty() && std::find(nodes_.begin(), nodes_.end(), name) == nodes_.end()) nodes_.push_back(name);
  };
  for (const auto& n : scenario_.cluster.nodes) add(n.name);
  for (const RunResult* run : {predicted_, observed_}) {
    if (run == nullptr) continue;
    for (const auto& e : run->timeline)
      for (const auto& p : e.positions) add(p.node);
    for (const auto& n : run->nodes) add(n.name);
    for (const auto& t : run->transactions) add(t.node);
  }
}

void Page::open_band(OpenBands& open, const std::string& node, const std::string& kind, size_t column,
                     std::string label) {
  if (open.count({node, kind}) != 0) return;
  if (label.empty())
    for (const auto& b : kBands)
      if (kind == b.kind) label = b.label;
  open[{node, kind}] = {node, column, column, kind, std::move(label)};
}

// Closes the band at `column`: the fault held after steps first..column-1.
void Page::close_band(OpenBands& open, const std::string& node, const std::string& kind, size_t column) {
  auto it = open.find({node, kind});
  if (it == open.end()) return;
  if (column > it->second.first) {
    it->second.last = column - 1;
    bands_.push_back(it->second);
  }
  open.erase(it);
}

// Faults come from the scenario's steps, so predicted and observed lanes share them.
void Page::build_bands() {
  OpenBands open;
  std::string primary = scenario_.cluster.nodes.empty() ? "" : scenario_.cluster.nodes[0].name;
  const std::string cluster = "*";  // The "no primary" band belongs to the whole cluster.
  for (size_t i = 0; i < scenario_.steps.size(); ++i) {
    const Step& s = scenario_.steps[i];
    const size_t c = *column_of(static_cast<int>(i));
    switch (s.kind) {
      case StepKind::kPartition:
        open_band(open, s.node, "partition",
                  c, s.direction == PartitionDirection::kBoth        ? "partitioned"
                     : s.direction == PartitionDirection::kToStandby ? "partitioned (to standby)"
                                                                     : "partitioned (to primary)");
        break;
      case StepKind::kHeal: close_band(open, s.node, "partition", c); break;
      case StepKind::kPause: open_band(open, s.node, "pause", c); break;
      case StepKind::kResume: close_band(open, s.node, "pause", c); break;
      case StepKind::kStallDisk: open_band(open, s.node, "stall", c); break;
      case StepKind::kCrash:
      case StepKind::kOsCrash:
      case StepKind::kStop:
        close_band(open, s.node, "stall", c);
        open_band(open, s.node, s.kind == StepKind::kStop ? "stop" : "crash", c);
        if (s.node == primary) open_band(open, cluster, "noprimary", c);
        break;
      case StepKind::kWipe: open_band(open, s.node, "wipe", c); break;
      case StepKind::kStart:
      case StepKind::kRestore:
        for (const char* kind : {"crash", "stop", "wipe"}) close_band(open, s.node, kind, c);
        if (s.node == primary || s.kind == StepKind::kRestore) close_band(open, cluster, "noprimary", c);
        break;
      case StepKind::kPromote:
        primary = s.node;
        close_band(open, cluster, "noprimary", c);
        break;
      default: break;
    }
  }
  while (!open.empty()) {
    const auto key = open.begin()->first;
    close_band(open, key.first, key.second, columns_.size());
  }
}

RunView Page::view_of(const RunResult* run, std::string id, std::string title) const {
  RunView v;
  v.run = run;
  v.id = std::move(id);
  v.title = std::move(title);
  v.entries.assign(columns_.size(), nullptr);
  for (const auto& e : run->timeline)
    if (auto c = column_of(e.step < 0 ? -1 : e.step)) v.entries[*c] = &e;
  std::optional<Lsn> head;
  std::vector<Lsn> all;
  for (size_t c = 0; c < columns_.size(); ++c) {
    std::optional<Lsn> newest;
    if (v.entries[c] != nullptr)
      for (const auto& p : v.entries[c]->positions) {
        for (Lsn l : {p.insert_lsn, p.flush_lsn, p.write_lsn, p.replay_lsn})
          if (l.value != 0) all.push_back(l);
        Lsn flushed = p.flush_lsn.value != 0 ? p.flush_lsn : p.insert_lsn;
        if (p.state == "primary" && flushed.value != 0 && (!newest || *newest < flushed)) newest = flushed;
      }
    if (newest) head = newest;  // With no primary, the last one's WAL is what a standby lacks.
    v.head.push_back(head);
  }
  for (const auto& t : run->transactions)
    if (t.commit_lsn.value != 0) all.push_back(t.commit_lsn);
  if (!all.empty()) {
    v.lo = *std::min_element(all.begin(), all.end());
    v.hi = *std::max_element(all.begin(), all.end());
  }
  if (v.hi.value <= v.lo.value) v.hi.value = v.lo.value + 1;
  v.final_primary = final_primary(*run);
  return v;
}

double Page::y_of(const RunView& view, Lsn lsn, double top) const {
  const double plot_top = top + kPlotTop;
  const double plot_height = kLaneHeight - kPlotTop - kPlotBottom - kRibbonHeight;
  if (lsn.value == 0) return plot_top + plot_height / 2;
  const double f = static_cast<double>(lsn.value - view.lo.value) / static_cast<double>(view.hi.value - view.lo.value);
  return plot_top + (1.0 - std::clamp(f, 0.0, 1.0)) * plot_height;
}

std::string Page::render() {
  out_.reserve(64 * 1024);
  head();
  header();
  summary();
  legend();
  chart();
  transactions_table();
  lags_table();
  notes();
  steps_table();
  script();
  return std::move(out_);
}

void Page::head() {
  out_ += R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="replsim">
)";
  out_ += fmt::format("<title>replsim timeline: {}</title>\n", html_escape(scenario_.name));
  // Installed first, so any later script error is recorded on <body data-errors>.
  out_ += R"(<script>window.onerror=function(m,s,l,c){var b=document.body||document.documentElement;)"
          R"(b.setAttribute('data-errors',(b.getAttribute('data-errors')||'')+m+' (line '+l+'); ');};</script>
<style>
:root{--ink:#1d2330;--muted:#5b6475;--line:#d9dee7;--bg:#f6f7f9}
*{box-sizing:border-box}
body{margin:0;padding:18px 22px 40px;font:14px/1.45 system-ui,-apple-system,"Segoe UI","DejaVu Sans",Arial,sans-serif;color:var(--ink);background:var(--bg)}
h1{font-size:21px;margin:0 0 2px}h2{font-size:16px;margin:26px 0 8px}
.desc{margin:0 0 4px;max-width:1100px}.meta{margin:0;color:var(--muted);font-size:12.5px}
.meta code,td code{font:12px "DejaVu Sans Mono",monospace;background:#eceff4;padding:0 3px;border-radius:3px}
.cards{display:flex;gap:12px;margin:12px 0 10px;flex-wrap:wrap}
.card{background:#fff;border:1px solid var(--line);border-left:5px solid #4a6fa5;border-radius:6px;padding:7px 12px;min-width:300px}
.banner{background:#fff4f2;border:1px solid #f3b9b1;border-left:5px solid #d62728;border-radius:6px;padding:7px 12px;margin:10px 0 0;max-width:1100px}
.card.bad{border-left-color:#d62728}.card b{font-size:13.5px}.card .lost{color:#d62728;font-weight:600}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;align-items:center;background:#fff;border:1px solid var(--line);border-radius:6px;padding:6px 12px;font-size:12.5px;margin-bottom:10px}
.legend span{display:inline-flex;align-items:center;gap:5px;white-space:nowrap}.legend .sep{width:1px;height:18px;background:var(--line)}
.chart{overflow-x:auto;background:#fff;border:1px solid var(--line);border-radius:6px}
svg text{font-family:system-ui,-apple-system,"Segoe UI","DejaVu Sans",Arial,sans-serif}
svg .mono{font-family:"DejaVu Sans Mono",monospace}
.tip{cursor:default}.tx{cursor:pointer}.tx.hl .halo{stroke:#1d2330;stroke-width:2.5}
.cell{fill:transparent}.cell:hover{fill:rgba(74,111,165,.07)}
table{border-collapse:collapse;background:#fff;font-size:13px}
th,td{border:1px solid var(--line);padding:4px 9px;text-align:left;vertical-align:top}th{background:#eef1f6;font-weight:600}
tr.hl td{background:#fff6d6}
td.present{background:#e5f5e0}td.lost{background:#fde0dd;color:#a50f15;font-weight:600}td.absent{background:#f1f1f1;color:#555}
td.either{background:#fbf6cc}td.differs{outline:2px solid #d62728;outline-offset:-2px}
ul.notes{margin:4px 0;padding-left:20px}.muted{color:var(--muted)}
#tip{position:fixed;display:none;pointer-events:none;z-index:9;max-width:420px;background:#1d2330;color:#fff;font-size:12.5px;line-height:1.4;padding:7px 10px;border-radius:5px;white-space:pre-line;box-shadow:0 3px 10px rgba(0,0,0,.25)}
</style></head>
)";
}

void Page::header() {
  out_ += "<body>\n<svg width=\"0\" height=\"0\" style=\"position:absolute\" aria-hidden=\"true\"><defs>";
  for (const auto& b : kBands)
    out_ += fmt::format(
        R"~(<pattern id="hatch-{0}" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">)~"
        R"(<rect width="8" height="8" fill="{1}" fill-opacity="0.10"/><line x1="0" y1="0" x2="0" y2="8" stroke="{1}" stroke-width="3" stroke-opacity="0.30"/></pattern>)",
        b.kind, b.color);
  out_ += "</defs></svg>\n<header>\n";
  out_ += fmt::format("<h1>{}</h1>\n", html_escape(scenario_.name));
  if (!scenario_.description.empty()) out_ += fmt::format("<p class=\"desc\">{}</p>\n", html_escape(scenario_.description));
  const ClusterSpec& c = scenario_.cluster;
  std::string standbys;
  for (size_t i = 1; i < c.nodes.size(); ++i) standbys += (i > 1 ? ", " : "") + html_escape(c.nodes[i].name);
  out_ += fmt::format(
      "<p class=\"meta\">{} · primary <b>{}</b>, standbys {} · synchronous_commit <code>{}</code> · "
      "synchronous_standby_names <code>{}</code>{}</p>\n</header>\n",
      scenario_.file.empty() ? "scenario" : "<code>" + html_escape(scenario_.file) + "</code>",
      c.nodes.empty() ? "?" : html_escape(c.nodes[0].name), standbys.empty() ? "none" : standbys,
      to_string(c.synchronous_commit), html_escape(c.synchronous_standby_names),
      c.synchronous_standby_names.empty() ? " (asynchronous)" : "");
  if (!banner_.title.empty())
    out_ += fmt::format("<div class=\"banner\"><b>{}</b>{}</div>\n", html_escape(banner_.title),
                        banner_.text.empty() ? "" : "<br>" + html_escape(banner_.text));
}

// One card per run: what was lost, in one line.
void Page::summary() {
  out_ += "<div class=\"cards\">\n";
  if (views_.empty()) out_ += "<div class=\"card\"><b>No run</b><br>Nothing was simulated or observed yet.</div>\n";
  for (const auto& v : views_) {
    std::map<TxFate, std::vector<std::string>> by_fate;
    for (const auto& t : v.run->transactions) by_fate[tx_fate(*v.run, t)].push_back(t.label);
    std::string counts;
    for (const auto& s : kFates) {
      auto it = by_fate.find(s.fate);
      if (it == by_fate.end()) continue;
      std::string labels;
      for (const auto& l : it->second) labels += (labels.empty() ? "" : ", ") + html_escape(l);
      counts += fmt::format("{}<span class=\"{}\">{} {}: {}</span>", counts.empty() ? "" : " · ",
                            s.fate == TxFate::kLost ? "lost" : "", it->second.size(), s.name, labels);
    }
    const bool bad = by_fate.count(TxFate::kLost) != 0;
    out_ += fmt::format("<div class=\"card{}\" data-run=\"{}\"><b>{}</b>{}<br>{}</div>\n", bad ? " bad" : "", v.id,
                        html_escape(v.title), v.run->seed != 0 ? fmt::format(" · seed {}", v.run->seed) : "",
                        counts.empty() ? "no transactions" : counts);
  }
  out_ += "</div>\n";
}

void Page::legend() {
  out_ += "<div class=\"legend\">";
  for (const auto& s : kFates)
    out_ += fmt::format(R"(<span data-legend="{}"><svg width="18" height="18">{}</svg>{}</span>)", s.id,
                        mark_shape(s.fate, 9, 9, 6.5), s.name);
  out_ += R"(<span class="sep"></span>)";
  out_ += R"(<span><svg width="26" height="10"><line x1="1" y1="5" x2="25" y2="5" stroke="#9ecae1" stroke-width="5"/>)"
          R"(<line x1="1" y1="5" x2="25" y2="5" stroke="#2166ac" stroke-width="2"/></svg>primary insert / flush LSN</span>)";
  out_ += R"(<span><svg width="26" height="10"><line x1="1" y1="5" x2="25" y2="5" stroke="#a6dba0" stroke-width="5"/>)"
          R"(<line x1="1" y1="5" x2="25" y2="5" stroke="#1b7837" stroke-width="2"/></svg>standby write / replay LSN</span>)";
  out_ += R"(<span><svg width="26" height="12"><rect x="1" y="1" width="24" height="10" fill="#d62728" fill-opacity="0.16"/>)"
          R"(<line x1="1" y1="1" x2="25" y2="1" stroke="#999" stroke-dasharray="3 2"/></svg>behind the primary (lag)</span>)";
  out_ += R"(<span class="sep"></span>)";
  for (const auto& b : kBands)
    out_ += fmt::format(R"~(<span><svg width="22" height="14"><rect width="22" height="14" fill="url(#hatch-{})" stroke="{}" stroke-opacity="0.4"/></svg>{}</span>)~",
                        b.kind, b.color, b.label);
  out_ += "</div>\n";
}

void Page::chart() {
  double height = kAxisHeight;
  for (size_t i = 0; i < views_.size(); ++i)
    height += (i > 0 ? kGroupGap : 0) + kGroupHeader + static_cast<double>(nodes_.size()) * (kLaneHeight + kLaneGap);
  height += 8;
  out_ += fmt::format(
      "<div class=\"chart\"><svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{0:.0f}\" height=\"{1:.0f}\" "
      "viewBox=\"0 0 {0:.0f} {1:.0f}\" role=\"img\" aria-label=\"timeline of {2}\">\n",
      chart_width(), height, html_escape(scenario_.name));
  axis(height);
  double top = kAxisHeight;
  for (size_t i = 0; i < views_.size(); ++i) {
    if (i > 0) top += kGroupGap;
    group(views_[i], top);
    top += kGroupHeader + static_cast<double>(nodes_.size()) * (kLaneHeight + kLaneGap);
  }
  out_ += "</svg></div>\n";
}

// The shared step axis: one column per step, its text, and a rule down the whole chart.
void Page::axis(double height) {
  const size_t chars = static_cast<size_t>(col_width_ / 6.4);
  for (size_t c = 0; c < columns_.size(); ++c) {
    const double x = x_mid(c);
    std::string notes;
    for (const auto& v : views_)
      if (v.entries[c] != nullptr)
        for (const auto& n : v.entries[c]->notes) notes += "\n" + v.id + ": " + n;
    out_ += fmt::format(R"(<g class="tip" data-column="{}"><title>{}: {}{}</title>)", c, html_escape(columns_[c].head),
                        html_escape(columns_[c].text), html_escape(notes));
    out_ += fmt::format(R"(<rect x="{:.1f}" y="2" width="{:.1f}" height="{:.0f}" fill="{}"/>)", x_left(c), col_width_,
                        kAxisHeight - 6, c % 2 == 0 ? "#f3f5f9" : "#fafbfc");
    out_ += fmt::format(R"(<text x="{:.1f}" y="20" text-anchor="middle" font-size="11" fill="#5b6475">{}</text>)", x,
                        html_escape(columns_[c].head));
    const auto [first, rest] = split_line(columns_[c].text, chars);
    out_ += fmt::format(R"(<text x="{:.1f}" y="38" text-anchor="middle" font-size="12.5" font-weight="600">{}</text>)", x,
                        html_escape(first));
    if (!rest.empty())
      out_ += fmt::format(R"(<text x="{:.1f}" y="53" text-anchor="middle" font-size="11" fill="#5b6475">{}</text>)", x,
                          html_escape(shorten(rest, chars)));
    out_ += "</g>\n";
    out_ += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.0f}" x2="{0:.1f}" y2="{2:.0f}" stroke="#e3e7ee"/>)", x_left(c),
                        kAxisHeight - 4, height);
  }
  out_ += fmt::format(R"(<text x="12" y="38" font-size="12" fill="#5b6475">steps →</text>)");
}

// One run: its title, the time of each step, the "no primary" strip and a lane per node.
void Page::group(const RunView& view, double top) {
  out_ += fmt::format(R"(<g class="run" data-run="{}">)", view.id);
  out_ += fmt::format(R"(<rect x="0" y="{:.1f}" width="{:.0f}" height="{:.0f}" fill="{}"/>)", top, chart_width(),
                      kGroupHeader - 6, view.id == "predicted" ? "#eef3fb" : "#eef8f1");
  out_ += fmt::format(R"(<text x="12" y="{:.1f}" font-size="14.5" font-weight="700">{}</text>)", top + 20,
                      html_escape(view.title));
  std::string sub = view.run->seed != 0 ? fmt::format("seed {} · ", view.run->seed) : "";
  sub += view.id == "predicted" ? "virtual time" : "wall-clock time";
  out_ += fmt::format(R"(<text x="12" y="{:.1f}" font-size="11.5" fill="#5b6475">{}</text>)", top + 38, sub);
  for (size_t c = 0; c < columns_.size(); ++c)
    if (view.entries[c] != nullptr)
      out_ += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle" font-size="11" fill="#5b6475">t = {}</text>)",
                          x_mid(c), top + 38, fmt_time(view.entries[c]->time_us));
  for (const auto& b : bands_) {
    if (b.node != "*") continue;
    const double x = x_left(b.first), w = x_left(b.last + 1) - x;
    out_ += fmt::format(
        R"(<g class="tip band" data-band="{0}"><title>No primary: the cluster takes no writes ({1} to {2})</title>)"
        R"~(<rect x="{3:.1f}" y="{4:.1f}" width="{5:.1f}" height="16" fill="url(#hatch-noprimary)" stroke="#d62728" stroke-opacity="0.5"/>)~"
        R"(<text x="{6:.1f}" y="{7:.1f}" font-size="11" fill="#a50f15" font-weight="600">no primary: writes unavailable</text></g>)",
        b.kind, html_escape(columns_[b.first].head), html_escape(columns_[std::min(b.last + 1, columns_.size() - 1)].head), x,
        top + 42, w, x + 6, top + 54);
  }
  out_ += "</g>\n";
  double lane_top = top + kGroupHeader;
  for (const auto& node : nodes_) {
    lane(view, node, lane_top);
    lane_top += kLaneHeight + kLaneGap;
  }
}

void Page::lane(const RunView& view, const std::string& node, double top) {
  out_ += fmt::format(R"(<g class="lane" data-run="{}" data-node="{}">)", view.id, html_escape(node));
  out_ += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.0f}" fill="#fff" stroke="#cfd6e2"/>)",
                      kLeft, top, static_cast<double>(columns_.size()) * col_width_, kLaneHeight);
  lane_label(view, node, top);
  lane_bands(node, top);
  lane_states(view, node, top);
  lane_cells(view, node, top);
  lane_lag(view, node, top);
  lane_lines(view, node, top);
  lane_ghosts(view, node, top);
  lane_marks(view, node, top);
  out_ += "</g>\n";
}

void Page::lane_label(const RunView& view, const std::string& node, double top) {
  const NodeSpec* spec = scenario_.cluster.find_node(node);
  std::string role = spec == nullptr ? "not in the scenario" : spec->role == NodeRole::kPrimary ? "starts as primary" : "starts as standby";
  if (spec != nullptr && spec->replication_slot) role += ", slot";
  out_ += fmt::format(R"(<text x="12" y="{:.1f}" font-size="15" font-weight="700">{}</text>)", top + 24, html_escape(node));
  out_ += fmt::format(R"(<text x="12" y="{:.1f}" font-size="11.5" fill="#5b6475">{}</text>)", top + 41, role);
  if (const NodeFinal* f = view.run->find_node(node)) {
    std::string end = "ends " + f->state + fmt::format(", timeline {}", f->timeline);
    const bool primary = view.final_primary == f;
    out_ += fmt::format(R"(<text x="12" y="{:.1f}" font-size="11.5" fill="{}" font-weight="{}">{}{}</text>)", top + 57,
                        primary ? "#2166ac" : "#5b6475", primary ? 600 : 400, html_escape(end), primary ? " ★" : "");
    if (!f->error.empty())
      out_ += fmt::format(R"(<text x="12" y="{:.1f}" font-size="11.5" fill="#a50f15" font-weight="600">error: {}</text>)",
                          top + 73, html_escape(f->error));
  }
  const double y_hi = y_of(view, view.hi, top), y_lo = y_of(view, view.lo, top);
  out_ += fmt::format(R"(<text class="mono" x="{0:.1f}" y="{1:.1f}" text-anchor="end" font-size="10" fill="#8a93a3">{2}</text>)"
                      R"(<text class="mono" x="{0:.1f}" y="{3:.1f}" text-anchor="end" font-size="10" fill="#8a93a3">{4}</text>)",
                      kLeft - 5, y_hi + 3, view.hi.to_string(), y_lo + 3, view.lo.to_string());
  out_ += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2:.1f}" stroke="#b8c0cc"/>)", kLeft - 2, y_hi, y_lo);
}

// The state ribbon along the lane's bottom: what the node was after each step.
void Page::lane_states(const RunView& view, const std::string& node, double top) {
  static const std::map<std::string, std::pair<const char*, const char*>> colors = {
      {"primary", {"#2166ac", "#fff"}},  {"standby", {"#d1e5f0", "#1d2330"}}, {"paused", {"#f6e27f", "#1d2330"}},
      {"crashed", {"#444", "#fff"}},     {"stopped", {"#999", "#fff"}},       {"wiped", {"#a50f15", "#fff"}},
      {"restoring", {"#c7e9c0", "#1d2330"}}};
  const double y = top + kLaneHeight - kRibbonHeight;
  for (size_t c = 0; c < columns_.size(); ++c) {
    const NodePosition* p = position_of(view.entries[c], node);
    if (p == nullptr) continue;
    auto it = colors.find(p->state);
    const auto [fill, ink] = it == colors.end() ? std::pair<const char*, const char*>{"#e0e0e0", "#1d2330"} : it->second;
    std::string text = p->state;
    if (!p->sync_state.empty() && p->state != "primary") text += " · " + p->sync_state;
    out_ += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.0f}" fill="{}"/>)", x_left(c) + 1, y,
                        col_width_ - 2, kRibbonHeight - 1, fill);
    out_ += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle" font-size="10.5" fill="{}">{}</text>)", x_mid(c),
                        y + 11.5, ink, html_escape(shorten(text, static_cast<size_t>(col_width_ / 6))));
  }
}

void Page::lane_bands(const std::string& node, double top) {
  for (const auto& b : bands_) {
    if (b.node != node) continue;
    const char* color = "#777";
    for (const auto& s : kBands)
      if (b.kind == s.kind) color = s.color;
    const double x = x_left(b.first), w = x_left(b.last + 1) - x;
    out_ += fmt::format(
        R"(<g class="tip band" data-band="{0}"><title>{1}: {2} after {3}{4}</title>)"
        R"~(<rect x="{5:.1f}" y="{6:.1f}" width="{7:.1f}" height="{8:.1f}" fill="url(#hatch-{0})" stroke="{9}" stroke-opacity="0.45"/>)~"
        R"(<text x="{10:.1f}" y="{11:.1f}" font-size="11.5" font-weight="700" fill="{9}">{2}</text></g>)",
        b.kind, html_escape(node), html_escape(b.label), html_escape(columns_[b.first].head),
        b.last + 1 < columns_.size() ? " until " + html_escape(columns_[b.last + 1].head) : ", to the end", x, top + 1,
        w, kLaneHeight - kRibbonHeight - 2, color, x + 6, top + 15);
  }
}

// Hover targets: one per cell, telling the node's positions after that step.
void Page::lane_cells(const RunView& view, const std::string& node, double top) {
  for (size_t c = 0; c < columns_.size(); ++c) {
    const NodePosition* p = position_of(view.entries[c], node);
    if (p == nullptr) continue;
    std::string t = fmt::format("{} after {} ({})\nstate: {}", node, columns_[c].head, columns_[c].text, p->state);
    if (!p->sync_state.empty()) t += " · " + p->sync_state;
    t += fmt::format(" · timeline {}", p->timeline);
    if (is_primary_like(*p)) t += fmt::format("\ninsert {} · flush {}", p->insert_lsn.to_string(), p->flush_lsn.to_string());
    else t += fmt::format("\nwrite {} · replay {}", p->write_lsn.to_string(), p->replay_lsn.to_string());
    if (!is_primary_like(*p) && view.head[c] && p->replay_lsn < *view.head[c])
      t += fmt::format("\nbehind the primary's flush ({}) by {}", view.head[c]->to_string(),
                       fmt_bytes(lsn_diff(*view.head[c], p->replay_lsn)));
    out_ += fmt::format(R"(<rect class="cell tip" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}"><title>{}</title></rect>)",
                        x_left(c), top, col_width_, kLaneHeight - kRibbonHeight, html_escape(t));
  }
}

// The lag band: between the primary's flush LSN and this standby's replay LSN, labelled
// where the lag changes.
void Page::lane_lag(const RunView& view, const std::string& node, double top) {
  std::vector<std::optional<Lsn>> behind(columns_.size());  // The standby's replay LSN where it lags.
  for (size_t c = 0; c < columns_.size(); ++c) {
    const NodePosition* p = position_of(view.entries[c], node);
    if (p == nullptr || is_primary_like(*p) || !view.head[c] || p->replay_lsn.value == 0 || p->state == "crashed") continue;
    if (p->replay_lsn < *view.head[c]) behind[c] = p->replay_lsn;
  }
  for (size_t c = 0; c < columns_.size(); ++c) {
    if (!behind[c]) continue;
    const double y_head = y_of(view, *view.head[c], top), y_replay = y_of(view, *behind[c], top);
    out_ += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="#d62728" fill-opacity="0.14" pointer-events="none"/>)",
                        x_left(c), y_head, col_width_, std::max(1.0, y_replay - y_head));
    out_ += fmt::format(R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#999" stroke-dasharray="3 2" pointer-events="none"/>)",
                        x_left(c), y_head, x_left(c + 1), y_head);
  }
  for (size_t c = 0; c < columns_.size(); ++c) {
    if (!behind[c]) continue;
    const int64_t bytes = lsn_diff(*view.head[c], *behind[c]);
    if (c > 0 && behind[c - 1] && lsn_diff(*view.head[c - 1], *behind[c - 1]) == bytes) continue;
    const double y_head = y_of(view, *view.head[c], top), y_replay = y_of(view, *behind[c], top);
    out_ += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle" font-size="11" font-weight="600" fill="#b2182b" pointer-events="none">{} behind</text>)",
                        x_mid(c), std::max(y_replay - 7, y_head + 12), fmt_bytes(bytes));
  }
}

void Page::lane_lines(const RunView& view, const std::string& node, double top) {
  for (const auto& s : kSeries) {
    const bool wide = std::string_view(s.id) == "insert" || std::string_view(s.id) == "write";
    const bool primary = std::string_view(s.id) == "insert" || std::string_view(s.id) == "flush";
    const char* color = primary ? (wide ? "#9ecae1" : "#2166ac") : (wide ? "#a6dba0" : "#1b7837");
    std::vector<std::pair<double, double>> run;  // Points of the current unbroken segment.
    auto flush_run = [&] {
      if (run.size() == 1) {  // A lone position: a short level stroke, so it still reads as a line.
        out_ += fmt::format(R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="{}" stroke-width="{}" pointer-events="none"/>)",
                            run[0].first - col_width_ / 4, run[0].second, run[0].first + col_width_ / 4, run[0].second,
                            color, wide ? 5 : 2);
      } else if (run.size() >= 2) {
        std::string points;
        for (const auto& [x, y] : run) points += fmt::format("{:.1f},{:.1f} ", x, y);
        out_ += fmt::format(R"(<polyline class="lsn" data-series="{}" points="{}" fill="none" stroke="{}" stroke-width="{}" stroke-linejoin="round" pointer-events="none"/>)",
                            s.id, points, color, wide ? 5 : 2);
      }
      run.clear();
    };
    for (size_t c = 0; c < columns_.size(); ++c) {
      const NodePosition* p = position_of(view.entries[c], node);
      const std::optional<Lsn> lsn = p == nullptr ? std::nullopt : s.of(*p);
      if (!lsn) {
        flush_run();
        continue;
      }
      run.emplace_back(x_mid(c), y_of(view, *lsn, top));
    }
    flush_run();
    if (wide) continue;
    for (size_t c = 0; c < columns_.size(); ++c) {  // Dots on the thin line: one per step.
      const NodePosition* p = position_of(view.entries[c], node);
      if (const std::optional<Lsn> lsn = p == nullptr ? std::nullopt : s.of(*p))
        out_ += fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="2.6" fill="{}" pointer-events="none"/>)", x_mid(c),
                            y_of(view, *lsn, top), color);
    }
  }
}

std::string Page::tx_title(const RunView& view, const TxRecord& tx, TxFate fate) const {
  std::string outcomes;
  for (auto o : tx.outcomes) outcomes += (outcomes.empty() ? "" : " or ") + std::string(to_string(o));
  std::string t = fmt::format("{} — {}\non {} at step {} · outcome: {}", tx.label, style_of(fate).name, tx.node,
                              tx.step + 1, outcomes.empty() ? "none recorded" : outcomes);
  t += fmt::format("\ncommit LSN {}", tx.commit_lsn.value == 0 ? "none (never committed)" : tx.commit_lsn.to_string());
  if (tx.xid != 0) t += fmt::format(" · xid {}", tx.xid);
  if (tx.waited_for_sync) t += "\nwaited for synchronous replication";
  if (const NodeFinal* f = view.final_primary) {
    auto it = f->presence.find(tx.label);
    if (it != f->presence.end())
      t += fmt::format("\non the final primary ({}): {}", f->name, to_string(it->second));
  }
  if (!tx.detail.empty()) t += "\n" + tx.detail;
  return t;
}

void Page::lane_marks(const RunView& view, const std::string& node, double top) {
  for (const auto& tx : view.run->transactions) {
    if (tx.node != node) continue;
    const auto c = column_of(tx.step);
    if (!c) continue;
    const TxFate fate = tx_fate(*view.run, tx);
    const FateStyle& st = style_of(fate);
    const double x = x_mid(*c), y = y_of(view, tx.commit_lsn, top);
    out_ += fmt::format(R"(<g class="tx tip" data-run="{}" data-label="{}" data-fate="{}" data-node="{}" data-lsn="{}"><title>{}</title>)",
                        view.id, html_escape(tx.label), st.id, html_escape(node), tx.commit_lsn.to_string(),
                        html_escape(tx_title(view, tx, fate)));
    out_ += fmt::format(R"(<circle class="halo" cx="{:.1f}" cy="{:.1f}" r="11" fill="#fff" fill-opacity="0.85" stroke="none"/>)", x, y);
    if (tx.waited_for_sync)
      out_ += fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="12" fill="none" stroke="#555" stroke-dasharray="2 2"/>)", x, y);
    out_ += mark_shape(fate, x, y, 7.5);
    const bool lost = fate == TxFate::kLost;
    out_ += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="12.5" font-weight="700" fill="{}" paint-order="stroke" stroke="#fff" stroke-width="3">{}</text>)",
                        x + 12, y - 4, lost ? st.color : "#1d2330", html_escape(shorten(tx.label, 18)));
    out_ += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="10.5" fill="{}" paint-order="stroke" stroke="#fff" stroke-width="3">{}</text>)",
                        x + 12, y + 9, lost ? st.color : "#5b6475", lost ? "acknowledged, LOST" : st.id);
    out_ += "</g>\n";
  }
}

// Where an acknowledged transaction should be but is not: a hollow mark on the final primary.
void Page::lane_ghosts(const RunView& view, const std::string& node, double top) {
  if (view.final_primary == nullptr || view.final_primary->name != node) return;
  for (const auto& tx : view.run->transactions) {
    const auto c = column_of(tx.step);
    if (!c || tx.node == node || tx_fate(*view.run, tx) != TxFate::kLost) continue;
    const double x = x_mid(*c), y = y_of(view, tx.commit_lsn, top);
    out_ += fmt::format(
        R"(<g class="tx tip ghost" data-run="{0}" data-label="{1}" data-fate="missing"><title>{1} is absent on {2}, the final primary: )"
        R"(acknowledged on {3} at {4}, but {2} never received that WAL</title>)"
        R"(<circle cx="{5:.1f}" cy="{6:.1f}" r="8" fill="#fff" stroke="#d62728" stroke-width="2" stroke-dasharray="3 2"/>)"
        R"(<text x="{5:.1f}" y="{7:.1f}" text-anchor="middle" font-size="11" font-weight="700" fill="#d62728">?</text>)"
        R"(<text x="{8:.1f}" y="{7:.1f}" font-size="11" fill="#d62728" paint-order="stroke" stroke="#fff" stroke-width="3">{1} missing here</text></g>)",
        view.id, html_escape(tx.label), html_escape(node), html_escape(tx.node), tx.commit_lsn.to_string(), x, y,
        y + 4, x + 12);
  }
}

// Transactions × nodes: is each transaction's effect on each node at the end?
void Page::transactions_table() {
  std::vector<std::pair<int, std::string>> labels;
  for (const auto& v : views_)
    for (const auto& t : v.run->transactions)
      if (std::none_of(labels.begin(), labels.end(), [&](const auto& l) { return l.second == t.label; }))
        labels.emplace_back(t.step, t.label);
  std::stable_sort(labels.begin(), labels.end());
  out_ += "<h2>Transactions and where they ended up</h2>\n";
  if (labels.empty()) {
    out_ += "<p class=\"muted\">No transactions.</p>\n";
    return;
  }
  out_ += "<table class=\"presence\"><thead><tr><th rowspan=\"2\">transaction</th><th rowspan=\"2\">step</th>";
  for (const auto& v : views_)
    out_ += fmt::format("<th colspan=\"{}\">{}</th>", nodes_.size() + 1, html_escape(v.title));
  out_ += "</tr><tr>";
  for (const auto& v : views_) {
    out_ += "<th>outcome</th>";
    for (const auto& n : nodes_)
      out_ += fmt::format("<th>{}{}</th>", html_escape(n),
                          v.final_primary != nullptr && v.final_primary->name == n ? " ★" : "");
  }
  out_ += "</tr></thead><tbody>\n";
  for (const auto& [step, label] : labels) {
    out_ += fmt::format("<tr data-label=\"{0}\"><td><b>{0}</b></td><td>{1}</td>", html_escape(label), step + 1);
    for (const auto& v : views_) {
      const TxRecord* tx = v.run->find_tx(label);
      if (tx == nullptr) {
        out_ += fmt::format("<td class=\"muted\" colspan=\"{}\">not run</td>", nodes_.size() + 1);
        continue;
      }
      const TxFate fate = tx_fate(*v.run, *tx);
      out_ += fmt::format("<td data-fate=\"{}\" style=\"color:{}\">{}</td>", style_of(fate).id, style_of(fate).color,
                          style_of(fate).name);
      for (const auto& n : nodes_) {
        const NodeFinal* f = v.run->find_node(n);
        auto it = f == nullptr ? std::map<std::string, Presence>::const_iterator{} : f->presence.find(label);
        if (f == nullptr || it == f->presence.end()) {
          out_ += "<td class=\"muted\">—</td>";
          continue;
        }
        const Presence p = it->second;
        bool differs = false;  // Prediction and observation disagree about this cell.
        for (const auto& other : views_) {
          const NodeFinal* of = other.run->find_node(n);
          if (of == nullptr || &other == &v) continue;
          auto oit = of->presence.find(label);
          differs = differs || (oit != of->presence.end() && oit->second != p && oit->second != Presence::kEither &&
                                p != Presence::kEither);
        }
        const bool acked = fate == TxFate::kLost || fate == TxFate::kKept || fate == TxFate::kAcknowledged;
        const char* cls = p == Presence::kPresent ? "present" : p == Presence::kEither ? "either" : acked ? "lost" : "absent";
        const char* text = p == Presence::kPresent ? "✓ present" : p == Presence::kEither ? "? either" : "✗ absent";
        out_ += fmt::format("<td class=\"{}{}\">{}</td>", cls, differs ? " differs" : "", text);
      }
    }
    out_ += "</tr>\n";
  }
  out_ += "</tbody></table>\n<p class=\"muted\">★ the run's final primary. A red outline marks a cell where prediction "
          "and observation disagree.</p>\n";
}

void Page::lags_table() {
  bool any = false;
  for (const auto& v : views_) any = any || !v.run->lags.empty();
  if (!any) return;
  out_ += "<h2>Lag checks</h2>\n<table><thead><tr><th>run</th><th>check</th><th>standby</th><th>primary LSN</th>"
          "<th>received / replayed</th><th>receive lag</th><th>replay lag</th><th>commits not replayed</th>"
          "<th>failover loses data</th></tr></thead><tbody>\n";
  for (const auto& v : views_)
    for (const auto& l : v.run->lags) {
      std::string risk;
      for (const auto& a : l.at_risk) risk += (risk.empty() ? "" : ", ") + html_escape(a);
      out_ += fmt::format(
          "<tr><td>{}</td><td><b>{}</b></td><td>{}</td><td><code>{}</code></td><td><code>{}</code> / <code>{}</code></td>"
          "<td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}{}</td></tr>\n",
          html_escape(v.title), html_escape(l.name), html_escape(l.standby), l.primary_lsn.to_string(),
          l.receive_lsn.to_string(), l.replay_lsn.to_string(), fmt_bytes(l.receive_lag_bytes), fmt_bytes(l.replay_lag_bytes),
          l.transactions, l.failover_loses_data ? "lost" : "present", l.failover_loses_data ? "yes" : "no",
          risk.empty() ? "" : ": " + risk);
    }
  out_ += "</tbody></table>\n";
}

void Page::notes() {
  out_ += "<h2>What happened</h2>\n";
  for (const auto& v : views_) {
    out_ += fmt::format("<p><b>{}</b></p>\n<ul class=\"notes\">", html_escape(v.title));
    if (v.run->notes.empty()) out_ += "<li class=\"muted\">no notes</li>";
    for (const auto& n : v.run->notes) out_ += fmt::format("<li>{}</li>", html_escape(n));
    out_ += "</ul>\n";
  }
  if (!scenario_.expectations.empty()) {
    out_ += "<p><b>The scenario expects</b></p>\n<ul class=\"notes\">";
    for (const auto& e : scenario_.expectations) out_ += fmt::format("<li><code>{}</code></li>", html_escape(e.text));
    out_ += "</ul>\n";
  }
}

void Page::steps_table() {
  out_ += "<h2>Steps</h2>\n<table><thead><tr><th>step</th><th>as written</th>";
  for (const auto& v : views_) out_ += fmt::format("<th>{}: time</th><th>{}: what it caused</th>", v.id, v.id);
  out_ += "</tr></thead><tbody>\n";
  for (size_t c = 0; c < columns_.size(); ++c) {
    out_ += fmt::format("<tr><td>{}</td><td><code>{}</code></td>", html_escape(columns_[c].head), html_escape(columns_[c].text));
    for (const auto& v : views_) {
      const TimelineEntry* e = v.entries[c];
      std::string caused;
      if (e != nullptr)
        for (const auto& n : e->notes) caused += (caused.empty() ? "" : "<br>") + html_escape(n);
      out_ += fmt::format("<td>{}</td><td>{}</td>", e == nullptr ? "—" : fmt_time(e->time_us), caused);
    }
    out_ += "</tr>\n";
  }
  out_ += "</tbody></table>\n";
}

// Tooltips (from each mark's <title>, which also serves without script), highlighting a
// transaction everywhere it appears, and the data-rendered flag the browser test reads.
void Page::script() {
  out_ += R"(<div id="tip" role="tooltip"></div>
<script>
(function () {
  'use strict';
  var tip = document.getElementById('tip');
  var tipped = document.querySelectorAll('.tip');
  for (var i = 0; i < tipped.length; i++) {
    var t = tipped[i].querySelector(':scope > title');
    if (t) { tipped[i].setAttribute('data-tip', t.textContent); t.parentNode.removeChild(t); }
  }
  function highlight(label, on) {
    var all = document.querySelectorAll('[data-label]');
    for (var j = 0; j < all.length; j++)
      if (all[j].getAttribute('data-label') === label) all[j].classList.toggle('hl', on);
  }
  var current = null;
  document.addEventListener('mousemove', function (e) {
    var el = e.target.closest ? e.target.closest('[data-tip]') : null;
    var lab = e.target.closest ? e.target.closest('[data-label]') : null;
    var label = lab ? lab.getAttribute('data-label') : null;
    if (label !== current) { if (current !== null) highlight(current, false); if (label !== null) highlight(label, true); current = label; }
    if (!el) { tip.style.display = 'none'; return; }
    tip.textContent = el.getAttribute('data-tip');
    tip.style.display = 'block';
    var x = e.clientX + 14, y = e.clientY + 14;
    if (x + tip.offsetWidth > window.innerWidth - 8) x = e.clientX - tip.offsetWidth - 14;
    if (y + tip.offsetHeight > window.innerHeight - 8) y = e.clientY - tip.offsetHeight - 14;
    tip.style.left = Math.max(4, x) + 'px';
    tip.style.top = Math.max(4, y) + 'px';
  });
  document.body.setAttribute('data-marks', String(document.querySelectorAll('.tx:not(.ghost)').length));
  document.body.setAttribute('data-rendered', 'ok');
})();
</script>
</body></html>
)";
}

}  // namespace

const char* fate_id(TxFate fate) { return style_of(fate).id; }

const NodeFinal* final_primary(const RunResult& run) {
  const NodeFinal* best = nullptr;
  for (const auto& n : run.nodes)
    if (n.state == "primary" && (best == nullptr || n.timeline >= best->timeline)) best = &n;
  return best;
}

TxFate tx_fate(const RunResult& run, const TxRecord& tx) {
  if (tx.outcomes.empty()) return TxFate::kInDoubt;
  if (tx.outcomes.size() > 1) return TxFate::kEither;
  switch (tx.outcomes[0]) {
    case TxOutcome::kAcknowledged: break;
    case TxOutcome::kBlocked: return TxFate::kBlocked;
    case TxOutcome::kCancelled: return TxFate::kCancelled;
    case TxOutcome::kInDoubt: return TxFate::kInDoubt;
    case TxOutcome::kFailed: return TxFate::kFailed;
  }
  const NodeFinal* primary = final_primary(run);
  if (primary == nullptr) return TxFate::kAcknowledged;
  auto it = primary->presence.find(tx.label);
  if (it == primary->presence.end()) return TxFate::kAcknowledged;
  switch (it->second) {
    case Presence::kPresent: return TxFate::kKept;
    case Presence::kAbsent: return TxFate::kLost;
    case Presence::kEither: return TxFate::kEither;
  }
  return TxFate::kAcknowledged;
}

std::string render_timeline_html(const Scenario& scenario, const RunResult* predicted, const RunResult* observed) {
  return Page(scenario, predicted, observed).render();
}

std::string render_timeline_html(const Scenario& scenario, const RunResult* predicted, const RunResult* observed,
                                 const PageBanner& banner) {
  return Page(scenario, predicted, observed, banner).render();
}

namespace {
Status write_page(const std::string& path, const std::string& page) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Status::IoError(fmt::format("{}: cannot write the timeline page", path));
  out << page;
  out.close();
  if (!out) return Status::IoError(fmt::format("{}: writing the timeline page failed", path));
  return Status::Ok();
}
}  // namespace

Status write_timeline_html(const std::string& path, const Scenario& scenario, const RunResult* predicted,
                           const RunResult* observed) {
  return write_page(path, render_timeline_html(scenario, predicted, observed));
}

std::string render_counterexample_html(const std::string& property, const std::string& witness,
                                       const std::string& yaml_file, const Scenario& scenario,
                                       const RunResult& prediction) {
  Scenario shown = scenario;
  if (!yaml_file.empty()) shown.file = yaml_file;
  return render_timeline_html(shown, &prediction, nullptr,
                              PageBanner{"Counterexample: " + property + " does not hold", witness});
}

Status write_counterexample_html(const std::string& path, const std::string& property, const std::string& witness,
                                 const std::string& yaml_file, const Scenario& scenario, const RunResult& prediction) {
  return write_page(path, render_counterexample_html(property, witness, yaml_file, scenario, prediction));
}

}  // namespace replsim::cli

namespace replsim::cli {
std::string html_path_for(const std::string& base, const std::string& scenario_name, size_t count) {
  if (count <= 1) return base;
  const size_t slash = base.find_last_of('/');
  const size_t dot = base.find_last_of('.');
  const bool has_ext = dot != std::string::npos && (slash == std::string::npos || dot > slash);
  std::string safe;
  for (char c : scenario_name) safe += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '_';
  return has_ext ? base.substr(0, dot) + "-" + safe + base.substr(dot) : base + "-" + safe;
}
}  // namespace replsim::cli
