#include "cli/timeline_waits.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <utility>

#include "cli/html_escape.h"
#include "cli/timeline_svg.h"

namespace replsim::cli {
namespace {

using Type = HistoryEvent::Type;

bool waits(const TxRecord& tx) {
  return tx.waited_for_sync || (tx.outcomes.size() == 1 && tx.outcomes[0] == TxOutcome::kBlocked);
}

// How the wait ended, in the words of the event that ended it and the transaction's outcome.
std::string ended_by(const HistoryEvent& e, const TxRecord& tx) {
  switch (e.type) {
    case Type::kOk:
      return tx.outcomes.size() == 1 && tx.outcomes[0] == TxOutcome::kCancelled ? "cancelled" : "acknowledged";
    case Type::kInfo: return "in doubt";
    case Type::kFail: return "failed";
    case Type::kInvoke:
    case Type::kBlocked:
    case Type::kFault: break;
  }
  return "";
}

// The step during which `time_us` fell. The simulator stamps a step's entry when it starts,
// the harness after it ran (see TimelineLayout::spans).
int step_at(const RunResult& run, int64_t time_us) {
  if (run.source == "simulator") {
    int step = -1;
    for (const auto& e : run.timeline)
      if (e.time_us <= time_us) step = e.step;
    return step;
  }
  for (const auto& e : run.timeline)
    if (e.step >= 0 && e.time_us >= time_us) return e.step;
  return run.timeline.empty() ? -1 : run.timeline.back().step;
}

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// A token that is a number or an LSN half ("736", "30006B0"): hex digits with at least one digit.
bool numeric(const std::string& token) {
  return std::all_of(token.begin(), token.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }) &&
         std::any_of(token.begin(), token.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

// `note` with its labels and numbers replaced, and the first label it names.
std::pair<std::string, std::string> shape_of(const std::string& note, const std::set<std::string>& labels) {
  std::string shape, first;
  for (size_t i = 0; i < note.size();) {
    if (!word_char(note[i])) {
      shape += note[i++];
      continue;
    }
    size_t j = i;
    while (j < note.size() && word_char(note[j])) ++j;
    const std::string token = note.substr(i, j - i);
    if (labels.count(token) != 0) {
      shape += "{tx}";
      if (first.empty()) first = token;
    } else {
      shape += numeric(token) ? "#" : token;
    }
    i = j;
  }
  return {shape, first};
}

// "burst_9" before "burst_10": labels compared by their text, then by the number they end in.
bool natural_less(const std::string& a, const std::string& b) {
  auto split = [](const std::string& s) {
    size_t d = s.size();
    while (d > 0 && std::isdigit(static_cast<unsigned char>(s[d - 1]))) --d;
    const std::string digits = s.substr(d);
    return std::make_pair(s.substr(0, d), digits.empty() || digits.size() > 18 ? -1LL : std::stoll(digits));
  };
  return split(a) < split(b);
}

}  // namespace

int64_t run_end_us(const RunResult& run) {
  int64_t end = 0;
  for (const auto& e : run.timeline) end = std::max(end, e.time_us);
  for (const auto& e : run.events) end = std::max(end, e.time_us);
  return end;
}

std::vector<CommitWait> commit_waits(const RunResult& run) {
  std::vector<CommitWait> out;
  const int64_t end = run_end_us(run);
  for (const auto& tx : run.transactions) {
    if (!waits(tx)) continue;
    auto invoke = std::find_if(run.events.begin(), run.events.end(),
                               [&](const HistoryEvent& e) { return e.type == Type::kInvoke && e.label == tx.label; });
    if (invoke == run.events.end()) continue;
    CommitWait w{tx.label, tx.node, tx.step, -1, invoke->time_us, end, true, "still waiting at the end"};
    for (auto e = invoke + 1; e != run.events.end(); ++e) {
      if (e->label != tx.label) continue;
      const std::string how = ended_by(*e, tx);
      if (how.empty()) continue;
      w.end_us = std::max(e->time_us, w.start_us);
      w.open = false;
      w.ended = how;
      w.end_step = step_at(run, e->time_us);
      break;
    }
    out.push_back(std::move(w));
  }
  return out;
}

std::string fmt_wait(int64_t us) {
  if (us < 1000) return fmt::format("{} µs", us);
  if (us < 100000) return fmt::format("{:.1f} ms", static_cast<double>(us) / 1e3);
  if (us < 1000000) return fmt::format("{:.0f} ms", static_cast<double>(us) / 1e3);
  return fmt::format("{:.1f} s", static_cast<double>(us) / 1e6);
}

std::string wait_line(const CommitWait& w) {
  std::string line = fmt::format("{:<12} waited {:<9} on {}, from step {}", w.label, fmt_wait(w.waited_us()), w.node,
                                 w.step + 1);
  if (w.open) return line + " to the end: still waiting at the end";
  return line + fmt::format(" to step {}: {}", w.end_step + 1, w.ended);
}

std::vector<std::string> group_notes(const std::vector<std::string>& notes, const std::vector<std::string>& labels) {
  const std::set<std::string> known(labels.begin(), labels.end());
  std::vector<std::string> shapes;
  std::map<std::string, std::vector<size_t>> by_shape;  // Shape -> the notes that have it.
  for (size_t i = 0; i < notes.size(); ++i) {
    auto [shape, first] = shape_of(notes[i], known);
    if (first.empty()) shape = "\n" + std::to_string(i);  // Names no transaction: its own group.
    if (by_shape[shape].empty()) shapes.push_back(shape);
    by_shape[shape].push_back(i);
  }
  std::vector<std::string> out;
  for (const auto& shape : shapes) {
    const std::vector<size_t>& members = by_shape[shape];
    if (members.size() < 3) {
      for (size_t i : members) out.push_back(notes[i]);
      continue;
    }
    std::vector<std::string> named;
    for (size_t i : members) named.push_back(shape_of(notes[i], known).second);
    std::sort(named.begin(), named.end(), natural_less);
    const std::string& a = named.front();
    const std::string& b = named.back();
    out.push_back(fmt::format("{} of these ({} … {}), the first: {}", members.size(), a, b, notes[members.front()]));
  }
  return out;
}

}  // namespace replsim::cli

// The waits drawn on the timeline: a band on the lane of the node a commit waited on.
namespace replsim::cli {
namespace {

// Waits on one node that overlap in time, drawn as one band.
struct WaitBand {
  std::vector<CommitWait> waits;
  int64_t start_us = 0, end_us = 0;
  bool open = false;
};

std::vector<WaitBand> wait_bands(const RunResult& run, const std::string& node) {
  std::vector<WaitBand> bands;
  for (auto& w : commit_waits(run)) {
    if (w.node != node || (!w.open && w.waited_us() < kWaitBandMinUs)) continue;
    if (!bands.empty() && w.start_us <= bands.back().end_us) {
      WaitBand& b = bands.back();
      b.end_us = std::max(b.end_us, w.end_us);
      b.open = b.open || w.open;
      b.waits.push_back(std::move(w));
      continue;
    }
    WaitBand b;
    b.start_us = w.start_us;
    b.end_us = w.end_us;
    b.open = w.open;
    b.waits.push_back(std::move(w));
    bands.push_back(std::move(b));
  }
  return bands;
}

// The band's label, longest first: the drawing uses the first that fits.
std::vector<std::string> band_labels(const WaitBand& b) {
  const int64_t longest = std::max_element(b.waits.begin(), b.waits.end(), [](const auto& x, const auto& y) {
                            return x.waited_us() < y.waited_us();
                          })->waited_us();
  const std::string verb = b.open ? "blocked" : "waited";
  const std::string tail = b.open ? ", to the end" : "";
  if (b.waits.size() == 1)
    return {fmt::format("{} {} {}{}", b.waits[0].label, verb, fmt_wait(longest), tail),
            fmt::format("{} {}", verb, fmt_wait(longest)), fmt_wait(longest)};
  return {fmt::format("{} commits {} up to {}{}", b.waits.size(), verb, fmt_wait(longest), tail),
          fmt::format("{} {} ≤ {}", b.waits.size(), verb, fmt_wait(longest)), fmt_wait(longest)};
}

}  // namespace

void TimelineSvg::lane_waits(const RunView& view, const std::string& node, double top) {
  const double bar_h = 13, bar_y = top + kTimelineLaneHeight - kTimelineRibbonHeight - bar_h - 1;
  for (const WaitBand& b : wait_bands(*view.run, node)) {
    const double x0 = layout_.x_at(view, b.start_us);
    const double x1 = b.open ? view.edges.back() : std::max(x0 + 3, layout_.x_at(view, b.end_us));
    std::string title;
    for (const auto& w : b.waits) title += (title.empty() ? "" : "\n") + wait_line(w);
    out_ += fmt::format(
        R"(<g class="tip wait" data-wait="{}" data-node="{}" data-open="{}" data-us="{}"><title>{}</title>)",
        html_escape(b.waits[0].label), html_escape(node), b.open ? "yes" : "no", b.end_us - b.start_us,
        html_escape("Commit waiting: the client has no answer\n" + title));
    out_ += fmt::format(
        R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="#ff7f0e" fill-opacity="0.09"/>)", x0,
        top + 1, x1 - x0, kTimelineLaneHeight - kTimelineRibbonHeight - 2);
    out_ += fmt::format(
        R"(<rect class="wait-bar" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" rx="2" fill="#e6550d" fill-opacity="0.85"/>)",
        x0, bar_y, x1 - x0, bar_h);
    for (const std::string& label : band_labels(b)) {
      const bool inside = text_width(label, 10.5) + 8 <= x1 - x0;
      const double x = inside ? x0 + 4 : x1 + 4;
      if ((!inside && x1 + 4 + text_width(label, 10.5) > view.edges.back() + kTimelineRight) ||
          !space_.take_text(x, bar_y + 10, label, 10.5))
        continue;
      out_ += fmt::format(
          R"(<text class="lbl wait-label" x="{:.1f}" y="{:.1f}" font-size="10.5" font-weight="700" fill="{}">{}</text>)",
          x, bar_y + 10, inside ? "#fff" : "#a63603", html_escape(label));
      break;
    }
    out_ += "</g>\n";
  }
}

}  // namespace replsim::cli
