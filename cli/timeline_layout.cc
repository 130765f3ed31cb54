#include "cli/timeline_layout.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <utility>

#include "cli/html_timeline.h"
#include "cli/timeline_waits.h"
#include "vocab/step_visitor.h"

namespace replsim::cli {
namespace {

// Opens and closes the fault bands as the steps go. Faults come from the scenario's steps,
// so predicted and observed lanes share them. Each step kind says what it does to the bands;
// a kind that does nothing says so.
class BandBuilder {
 public:
  BandBuilder(const Scenario& scenario, std::vector<TimelineBand>& bands)
      : bands_(bands), primary_(scenario.cluster.nodes.empty() ? "" : scenario.cluster.nodes[0].name) {}

  void at_column(size_t column) { column_ = column; }
  // Closes every band still open at the end: the fault held to the last column.
  void finish(size_t columns);

  void on_partition(const Step& s) {
    open(s.node, "partition",
         s.direction == PartitionDirection::kBoth        ? "partitioned"
         : s.direction == PartitionDirection::kToStandby ? "partitioned (to standby)"
                                                         : "partitioned (to primary)");
  }
  void on_heal(const Step& s) { close(s.node, "partition", column_); }
  void on_pause(const Step& s) { open(s.node, "pause"); }
  void on_resume(const Step& s) { close(s.node, "pause", column_); }
  void on_stall_disk(const Step& s) { open(s.node, "stall"); }
  // A replay pause ends with resume_replay, a promotion or the end of the server.
  void on_pause_replay(const Step& s) {
    if (s.node != primary_) open(s.node, "replay");
  }
  void on_resume_replay(const Step& s) { close(s.node, "replay", column_); }
  void on_crash(const Step& s) { down(s, "crash"); }
  void on_os_crash(const Step& s) { down(s, "crash"); }
  void on_stop(const Step& s) { down(s, "stop"); }
  void on_wipe(const Step& s) { open(s.node, "wipe"); }
  void on_start(const Step& s) { up(s, s.node == primary_); }
  void on_restore(const Step& s) { up(s, true); }
  void on_promote(const Step& s) {
    close(s.node, "replay", column_);
    primary_ = s.node;
    close(kCluster, "noprimary", column_);
  }
  // Steps that open or close no fault.
  void on_insert(const Step&) {}
  void on_update(const Step&) {}
  void on_delete(const Step&) {}
  void on_truncate(const Step&) {}
  void on_mark(const Step&) {}
  void on_catchup(const Step&) {}
  void on_wait(const Step&) {}
  void on_check_lag(const Step&) {}
  void on_cancel(const Step&) {}
  void on_terminate(const Step&) {}
  void on_reload(const Step&) {}
  void on_base_backup(const Step&) {}
  void on_switch_wal(const Step&) {}
  void on_restore_point(const Step&) {}
  void on_checkpoint(const Step&) {}
  void on_naive_copy(const Step&) {}
  void on_break_archive(const Step&) {}
  void on_repair_archive(const Step&) {}
  void on_begin(const Step&) {}
  void on_commit(const Step&) {}
  void on_rollback(const Step&) {}

 private:
  static constexpr const char* kCluster = "*";  // The "no primary" band belongs to the whole cluster.
  using OpenBands = std::map<std::pair<std::string, std::string>, TimelineBand>;  // (node, kind) -> band.

  // A crash or stop ends a disk stall; the primary's also leaves the cluster without one.
  void down(const Step& s, const char* kind) {
    close(s.node, "stall", column_);
    close(s.node, "replay", column_);
    open(s.node, kind);
    if (s.node == primary_) open(kCluster, "noprimary");
  }
  // A start or restore ends the node's outage; `primary_back` when the cluster has a primary again.
  void up(const Step& s, bool primary_back) {
    for (const char* kind : {"crash", "stop", "wipe"}) close(s.node, kind, column_);
    if (primary_back) close(kCluster, "noprimary", column_);
  }
  void open(const std::string& node, const std::string& kind, std::string label = "");
  void close(const std::string& node, const std::string& kind, size_t column);

  std::vector<TimelineBand>& bands_;
  std::string primary_;
  size_t column_ = 0;
  OpenBands open_;
};

void BandBuilder::open(const std::string& node, const std::string& kind, std::string label) {
  if (open_.count({node, kind}) != 0) return;
  if (label.empty())
    for (const auto& b : kTimelineBandKinds)
      if (kind == b.kind) label = b.label;
  open_[{node, kind}] = {node, column_, column_, kind, std::move(label)};
}

// Closes the band at `column`: the fault held after steps first..column-1.
void BandBuilder::close(const std::string& node, const std::string& kind, size_t column) {
  auto it = open_.find({node, kind});
  if (it == open_.end()) return;
  if (column > it->second.first) {
    it->second.last = column - 1;
    bands_.push_back(it->second);
  }
  open_.erase(it);
}

void BandBuilder::finish(size_t columns) {
  while (!open_.empty()) {
    const auto key = open_.begin()->first;
    close(key.first, key.second, columns);
  }
}

// Steps with the same key in a row share a column: a repeat's or load's inserts, or writes of
// one kind to one table on one node, or the same step written again.
std::string group_key(const Step& s) {
  if (!s.group.empty()) return "group:" + s.group;
  if (s.kind == StepKind::kInsert || s.kind == StepKind::kUpdate || s.kind == StepKind::kDelete)
    return fmt::format("write:{}|{}|{}", to_string(s.kind), s.node, s.table);
  return "text:" + s.text;
}

std::string group_text(const Step& s, size_t n) {
  if (s.kind == StepKind::kInsert || s.kind == StepKind::kUpdate || s.kind == StepKind::kDelete)
    return fmt::format("{} × {}{}{}", n, to_string(s.kind), s.table.empty() ? "" : " " + s.table,
                       s.node.empty() ? "" : " on " + s.node);
  return fmt::format("{} × {}", n, s.text);
}

}  // namespace

const NodePosition* position_of(const TimelineEntry* entry, const std::string& node) {
  if (entry == nullptr) return nullptr;
  for (const auto& p : entry->positions)
    if (p.node == node) return &p;
  return nullptr;
}

bool is_primary_like(const NodePosition& p) {
  return p.state == "primary" || (p.write_lsn.value == 0 && p.replay_lsn.value == 0);
}

TimelineLayout::TimelineLayout(const Scenario& scenario, const RunResult* predicted, const RunResult* observed,
                               TimelineAxis axis)
    : scenario_(scenario), predicted_(predicted), observed_(observed) {
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
  time_axis_ = axis == TimelineAxis::kTime ||
               (axis == TimelineAxis::kAuto &&
                std::any_of(views_.begin(), views_.end(), [this](const RunView& v) { return durations_differ(v); }));
  for (auto& v : views_) v.edges = time_axis_ ? time_edges(v) : step_edges();
}

std::optional<TimelineAxis> parse_timeline_axis(const std::string& text) {
  if (text == "steps") return TimelineAxis::kSteps;
  if (text == "time") return TimelineAxis::kTime;
  if (text == "auto") return TimelineAxis::kAuto;
  return std::nullopt;
}

std::vector<double> TimelineLayout::step_edges() const {
  std::vector<double> edges;
  for (size_t c = 0; c <= columns_.size(); ++c) edges.push_back(x_left(c));
  return edges;
}

namespace {
constexpr int64_t kShortStepUs = 1000;  // A step shorter than 1 ms counts as 1 ms when durations are compared.
}  // namespace

// Each column's time span in `view`'s run. The simulator stamps a step's timeline entry when
// the step starts (Cluster::run), the harness when it has observed the positions after it
// (Runner::record_positions): a simulated step runs from its stamp to the next one's (the
// last to the run's end), an observed one from the previous stamp to its own.
std::vector<std::pair<int64_t, int64_t>> TimelineLayout::spans(const RunView& view) const {
  const size_t n = columns_.size();
  std::vector<std::pair<int64_t, int64_t>> out(n, {0, 0});
  const bool stamped_at_start = view.run->source == "simulator";
  int64_t t = stamped_at_start ? run_end_us(*view.run) : 0;
  for (size_t k = 0; k < n; ++k) {
    const size_t c = stamped_at_start ? n - 1 - k : k;  // The simulator's spans end where the next starts.
    const auto& entries = view.column_entries[c];
    if (entries.empty()) {
      out[c] = {t, t};
      continue;
    }
    if (stamped_at_start) {
      const int64_t start = std::min(entries.front()->time_us, t);
      out[c] = {start, t};
      t = start;
    } else {
      const int64_t end = std::max(entries.back()->time_us, t);
      out[c] = {t, end};
      t = end;
    }
  }
  return out;
}

// The steps' durations differ by more than 10× (the "start" column, which has none, aside).
bool TimelineLayout::durations_differ(const RunView& view) const {
  const auto d = spans(view);
  int64_t lo = -1, hi = 0;
  for (size_t c = 0; c < d.size(); ++c) {
    if (view.entries[c] == nullptr || columns_[c].step < 0) continue;
    const int64_t x = std::max(d[c].second - d[c].first, kShortStepUs);
    lo = lo < 0 ? x : std::min(lo, x);
    hi = std::max(hi, x);
  }
  return lo > 0 && hi > 10 * lo;
}

// Widths in proportion to the steps' durations, above a small floor so every step stays visible.
std::vector<double> TimelineLayout::time_edges(const RunView& view) const {
  const auto span = spans(view);
  const double n = static_cast<double>(columns_.size());
  const double plot = n * col_width_;
  const double floor = std::min(kTimelineTimeColumnMin, plot / n / 2);
  int64_t total = 0;
  for (const auto& [start, end] : span) total += end - start;
  std::vector<double> edges{kTimelineLeft};
  for (const auto& [start, end] : span) {
    const double share = total > 0 ? static_cast<double>(end - start) / static_cast<double>(total) : 1.0 / n;
    edges.push_back(edges.back() + floor + (plot - n * floor) * share);
  }
  return edges;
}

double TimelineLayout::x_at(const RunView& view, int64_t time_us) const {
  const auto span = spans(view);
  for (size_t c = 0; c < span.size(); ++c) {
    const auto [start, end] = span[c];
    if (time_us > end && c + 1 < span.size()) continue;
    const double f = end > start ? static_cast<double>(time_us - start) / static_cast<double>(end - start) : 1.0;
    return x_left(view, c) + std::clamp(f, 0.0, 1.0) * width(view, c);
  }
  return view.edges.back();
}

void TimelineLayout::build_columns() {
  bool has_start = false;
  for (const RunResult* run : {predicted_, observed_})
    if (run != nullptr)
      for (const auto& e : run->timeline) has_start = has_start || e.step < 0;
  if (has_start) columns_.push_back({-1, "start", "before the first step", -1});
  const auto& steps = scenario_.steps;
  for (size_t i = 0; i < steps.size();) {
    size_t j = i + 1;  // Steps i..j-1 are alike.
    while (j < steps.size() && group_key(steps[j]) == group_key(steps[i])) ++j;
    const size_t n = j - i;
    if (n >= 3 || (n == 2 && !steps[i].group.empty())) {
      columns_.push_back({static_cast<int>(i), fmt::format("steps {}–{}", i + 1, j), group_text(steps[i], n),
                          static_cast<int>(j - 1)});
      i = j;
      continue;
    }
    columns_.push_back({static_cast<int>(i), fmt::format("step {}", i + 1), steps[i].text, static_cast<int>(i)});
    ++i;
  }
  if (columns_.empty()) columns_.push_back({-1, "start", "the scenario has no steps", -1});
  // Never wider than the plot: many columns get narrow ones, and their labels thin out.
  col_width_ = std::min(kTimelinePlotWidth / static_cast<double>(columns_.size()), kTimelineColumnMax);
}

std::optional<size_t> TimelineLayout::column_of(int step) const {
  for (size_t c = 0; c < columns_.size(); ++c)
    if (columns_[c].step == step || (step > columns_[c].step && step <= columns_[c].last_step)) return c;
  return std::nullopt;
}

// Lanes: the scenario's nodes in its order, then any other node a result mentions.
void TimelineLayout::build_nodes() {
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

void TimelineLayout::build_bands() {
  BandBuilder builder(scenario_, bands_);
  for (size_t i = 0; i < scenario_.steps.size(); ++i) {
    builder.at_column(*column_of(static_cast<int>(i)));
    visit_step(scenario_.steps[i], builder);
  }
  builder.finish(columns_.size());
}

RunView TimelineLayout::view_of(const RunResult* run, std::string id, std::string title) const {
  RunView v;
  v.run = run;
  v.id = std::move(id);
  v.title = std::move(title);
  v.entries.assign(columns_.size(), nullptr);
  v.column_entries.resize(columns_.size());
  for (const auto& e : run->timeline)
    if (auto c = column_of(e.step < 0 ? -1 : e.step)) {
      v.entries[*c] = &e;
      v.column_entries[*c].push_back(&e);
    }
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

double TimelineLayout::y_of(const RunView& view, Lsn lsn, double top) const {
  const double plot_top = top + kTimelinePlotTop;
  const double plot_height = kTimelineLaneHeight - kTimelinePlotTop - kTimelinePlotBottom - kTimelineRibbonHeight;
  if (lsn.value == 0) return plot_top + plot_height / 2;
  const double f = static_cast<double>(lsn.value - view.lo.value) / static_cast<double>(view.hi.value - view.lo.value);
  return plot_top + (1.0 - std::clamp(f, 0.0, 1.0)) * plot_height;
}

double TimelineLayout::chart_height() const {
  double height = kTimelineAxisHeight;
  for (size_t i = 0; i < views_.size(); ++i)
    height += (i > 0 ? kTimelineGroupGap : 0) + kTimelineGroupHeader +
              static_cast<double>(nodes_.size()) * (kTimelineLaneHeight + kTimelineLaneGap);
  return height + 8;
}

}  // namespace replsim::cli
