#include "cli/timeline_svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/html_escape.h"

namespace replsim::cli {
namespace {

// A colour for each kTimelineBandKinds kind: what a band looks like is drawing, what it means layout.
struct BandColor {
  const char* kind;
  const char* color;
};
constexpr BandColor kBandColors[] = {
    {"partition", "#e6550d"}, {"pause", "#c9a100"},     {"crash", "#444444"}, {"stop", "#777777"},
    {"wipe", "#a50f15"},      {"noprimary", "#d62728"}, {"stall", "#6a3d9a"}, {"replay", "#1f78b4"},
};

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

}  // namespace

const FateStyle& fate_style(TxFate fate) {
  for (const auto& s : kFateStyles)
    if (s.fate == fate) return s;
  return kFateStyles[0];
}

const char* band_color(std::string_view kind) {
  for (const auto& b : kBandColors)
    if (kind == b.kind) return b.color;
  return "#777";
}

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

std::string mark_shape(TxFate fate, double x, double y, double r) {
  const char* c = fate_style(fate).color;
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
      return fmt::format(
          R"(<polygon points="{0:.1f},{1:.1f} {2:.1f},{3:.1f} {0:.1f},{4:.1f} {5:.1f},{3:.1f}" fill="{6}" stroke="#fff"/>)",
          x, y - r * 1.2, x + r * 1.2, y, y + r * 1.2, x - r * 1.2, c);
    case TxFate::kCancelled:
      return fmt::format(R"(<polygon points="{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}" fill="{}" stroke="#fff"/>)",
                         x - r * 1.1, y - r * 0.8, x + r * 1.1, y - r * 0.8, x, y + r * 1.1, c);
    case TxFate::kFailed:
      return fmt::format(
          R"(<path d="M{0:.1f},{1:.1f}L{2:.1f},{3:.1f}M{0:.1f},{3:.1f}L{2:.1f},{1:.1f}" stroke="{4}" stroke-width="3.5" stroke-linecap="round"/>)",
          x - r * 0.8, y - r * 0.8, x + r * 0.8, y + r * 0.8, c);
    case TxFate::kEither:
      return fmt::format(R"(<circle cx="{0:.1f}" cy="{1:.1f}" r="{2:.1f}" fill="#fff" stroke="{3}" stroke-width="2"/>)"
                         R"(<path d="M{0:.1f},{4:.1f}A{2:.1f},{2:.1f} 0 0 0 {0:.1f},{5:.1f}Z" fill="{3}"/>)",
                         x, y, r - 1, c, y - r + 1, y + r - 1);
  }
  return "";
}

double text_width(const std::string& text, double font_size) {
  size_t chars = 0;
  for (char c : text) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return static_cast<double>(chars) * font_size * 0.64 + 2;
}

bool LabelSpace::take(double x, double y, double w, double h) {
  const Box b{x, y, x + w, y + h};
  for (const Box& o : boxes_)
    if (b.x0 < o.x1 + 2 && o.x0 < b.x1 + 2 && b.y0 < o.y1 && o.y0 < b.y1) return false;
  boxes_.push_back(b);
  return true;
}

bool LabelSpace::take_text(double x, double y, const std::string& text, double font_size, bool middle) {
  const double w = text_width(text, font_size);
  return take(middle ? x - w / 2 : x, y - font_size * 0.9, w, font_size * 1.2);
}

std::string TimelineSvg::render() {
  const double height = layout_.chart_height();
  out_ += fmt::format(
      "<div class=\"chart\"><svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{0:.0f}\" height=\"{1:.0f}\" "
      "viewBox=\"0 0 {0:.0f} {1:.0f}\" role=\"img\" aria-label=\"timeline of {2}\" data-axis=\"{3}\">\n",
      layout_.chart_width(), height, html_escape(layout_.scenario().name), layout_.time_axis() ? "time" : "steps");
  axis(height);
  double top = kTimelineAxisHeight;
  for (size_t i = 0; i < layout_.views().size(); ++i) {
    if (i > 0) top += kTimelineGroupGap;
    group(layout_.views()[i], top);
    top += layout_.group_height();
  }
  out_ += "</svg></div>\n";
  return std::move(out_);
}

// The shared step axis: one column per step (or group of repeated steps), its text, and a
// rule down the whole chart. On the time axis it is laid out as the first run's times.
void TimelineSvg::axis(double height) {
  const auto& columns = layout_.columns();
  const RunView* first = layout_.views().empty() ? nullptr : &layout_.views().front();
  for (size_t c = 0; c < columns.size(); ++c) {
    axis_column(first, c);
    const double x = first != nullptr ? layout_.x_left(*first, c) : layout_.x_left(c);
    out_ += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.0f}" x2="{0:.1f}" y2="{2:.0f}" stroke="#e3e7ee"/>)", x,
                        kTimelineAxisHeight - 4, height);
  }
  out_ += axis_labels_;  // Above every column's background, which a wide label may cross.
  axis_labels_.clear();
  out_ += fmt::format(R"(<text x="12" y="38" font-size="12" fill="#5b6475">{} →</text>)",
                      layout_.time_axis() ? "steps, in time" : "steps");
}

// One column's head: "step 3" (or only "3" when narrow) and the step's text where it fits.
void TimelineSvg::axis_column(const RunView* first, size_t c) {
  const auto& col = layout_.columns()[c];
  const double left = first != nullptr ? layout_.x_left(*first, c) : layout_.x_left(c);
  const double w = first != nullptr ? layout_.width(*first, c) : layout_.col_width();
  const double x = left + w / 2;
  std::string notes;
  for (const auto& v : layout_.views())
    for (const TimelineEntry* e : v.column_entries[c])
      for (const auto& n : e->notes) notes += "\n" + v.id + ": " + n;
  out_ += fmt::format(R"(<g class="tip" data-column="{}"><title>{}: {}{}</title>)", c, html_escape(col.head),
                      html_escape(col.text), html_escape(shorten(notes, 1500)));
  out_ += fmt::format(R"(<rect x="{:.1f}" y="2" width="{:.1f}" height="{:.0f}" fill="{}"/>)", left, w,
                      kTimelineAxisHeight - 6, c % 2 == 0 ? "#f3f5f9" : "#fafbfc");
  std::string head = col.head;
  if (text_width(head, 11) > w && head.find(' ') != std::string::npos) head = head.substr(head.find(' ') + 1);
  if (axis_space_.take_text(x, 20, head, 11, true))
    out_ += fmt::format(
        R"(<text class="lbl" x="{:.1f}" y="20" text-anchor="middle" font-size="11" fill="#5b6475">{}</text>)", x,
        html_escape(head));
  const size_t chars = static_cast<size_t>(w / 8.4);
  if (chars >= 6) {
    const auto [line1, rest] = split_line(col.text, chars);
    const std::string line2 = shorten(rest, chars);
    if (axis_space_.take_text(x, 38, line1, 12.5, true))
      axis_labels_ += fmt::format(
          R"(<text class="lbl" x="{:.1f}" y="38" text-anchor="middle" font-size="12.5" font-weight="600">{}</text>)", x,
          html_escape(line1));
    if (!line2.empty() && axis_space_.take_text(x, 53, line2, 11, true))
      axis_labels_ += fmt::format(
          R"(<text class="lbl" x="{:.1f}" y="53" text-anchor="middle" font-size="11" fill="#5b6475">{}</text>)", x,
          html_escape(line2));
  }
  out_ += "</g>\n";
}

// Each step's time under the run's title: "t = 1.2 ms"; on the time axis with the step's
// number, since a second run's columns are not under the axis's.
void TimelineSvg::header_times(const RunView& view, double top) {
  const auto& columns = layout_.columns();
  for (size_t c = 0; c < columns.size(); ++c) {
    if (view.entries[c] == nullptr) continue;
    std::string head = columns[c].head;
    if (head.find(' ') != std::string::npos) head = head.substr(head.find(' ') + 1);
    const std::string text = layout_.time_axis() ? fmt::format("{}: {}", head, fmt_time(view.entries[c]->time_us))
                                                 : "t = " + fmt_time(view.entries[c]->time_us);
    const double x = layout_.x_mid(view, c);
    if (layout_.time_axis())
      out_ += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2:.1f}" stroke="#9aa3b2"/>)",
                          layout_.x_left(view, c + 1), top + 22, top + 27);
    if (!space_.take_text(x, top + 38, text, 11, true)) continue;
    out_ += fmt::format(
        R"(<text class="lbl" x="{:.1f}" y="{:.1f}" text-anchor="middle" font-size="11" fill="#5b6475">{}</text>)", x,
        top + 38, html_escape(text));
  }
}

// One run: its title, the time of each step, the "no primary" strip and a lane per node.
void TimelineSvg::group(const RunView& view, double top) {
  const auto& columns = layout_.columns();
  space_.clear();
  out_ += fmt::format(R"(<g class="run" data-run="{}">)", view.id);
  out_ += fmt::format(R"(<rect x="0" y="{:.1f}" width="{:.0f}" height="{:.0f}" fill="{}"/>)", top,
                      layout_.chart_width(), kTimelineGroupHeader - 6, view.id == "predicted" ? "#eef3fb" : "#eef8f1");
  out_ += fmt::format(R"(<text x="12" y="{:.1f}" font-size="14.5" font-weight="700">{}</text>)", top + 20,
                      html_escape(view.title));
  std::string sub = view.run->seed != 0 ? fmt::format("seed {} · ", view.run->seed) : "";
  sub += view.id == "predicted" ? "virtual time" : "wall-clock time";
  out_ += fmt::format(R"(<text x="12" y="{:.1f}" font-size="11.5" fill="#5b6475">{}</text>)", top + 38, sub);
  space_.take_text(12, top + 38, sub, 11.5);  // The subtitle shares the row of the step times.
  header_times(view, top);
  for (const auto& b : layout_.bands()) {
    if (b.node != "*") continue;
    const double x = layout_.x_left(view, b.first), w = layout_.x_left(view, b.last + 1) - x;
    const std::string label = "no primary: writes unavailable";
    const bool fits = space_.take_text(x + 6, top + 54, label, 11);
    out_ += fmt::format(
        R"(<g class="tip band" data-band="{0}"><title>No primary: the cluster takes no writes ({1} to {2})</title>)"
        R"~(<rect x="{3:.1f}" y="{4:.1f}" width="{5:.1f}" height="16" fill="url(#hatch-noprimary)" stroke="#d62728" stroke-opacity="0.5"/>)~",
        b.kind, html_escape(columns[b.first].head), html_escape(columns[std::min(b.last + 1, columns.size() - 1)].head),
        x, top + 42, w);
    if (fits)
      out_ += fmt::format(
          R"(<text class="lbl" x="{:.1f}" y="{:.1f}" font-size="11" fill="#a50f15" font-weight="600">{}</text>)", x + 6,
          top + 54, label);
    out_ += "</g>";
  }
  out_ += "</g>\n";
  double lane_top = top + kTimelineGroupHeader;
  for (const auto& node : layout_.nodes()) {
    lane(view, node, lane_top);
    lane_top += kTimelineLaneHeight + kTimelineLaneGap;
  }
}

void TimelineSvg::lane(const RunView& view, const std::string& node, double top) {
  space_.clear();
  out_ += fmt::format(R"(<g class="lane" data-run="{}" data-node="{}">)", view.id, html_escape(node));
  out_ += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.0f}" fill="#fff" stroke="#cfd6e2"/>)",
                      kTimelineLeft, top, view.edges.back() - view.edges.front(), kTimelineLaneHeight);
  lane_label(view, node, top);
  lane_bands(view, node, top);
  lane_states(view, node, top);
  lane_waits(view, node, top);
  lane_cells(view, node, top);
  lane_lag(view, node, top);
  lane_lines(view, node, top);
  lane_ghosts(view, node, top);
  lane_marks(view, node, top);
  out_ += "</g>\n";
}

void TimelineSvg::lane_label(const RunView& view, const std::string& node, double top) {
  const NodeSpec* spec = layout_.scenario().cluster.find_node(node);
  std::string role = spec == nullptr                    ? "not in the scenario"
                     : spec->role == NodeRole::kPrimary ? "starts as primary"
                                                        : "starts as standby";
  if (spec != nullptr && spec->replication_slot) role += ", slot";
  out_ += fmt::format(R"(<text x="12" y="{:.1f}" font-size="15" font-weight="700">{}</text>)", top + 24,
                      html_escape(node));
  out_ += fmt::format(R"(<text x="12" y="{:.1f}" font-size="11.5" fill="#5b6475">{}</text>)", top + 41, role);
  if (const NodeFinal* f = view.run->find_node(node)) {
    const std::string end = fmt::format("ends {}, timeline {}", to_string(f->state), f->timeline);
    const bool primary = view.final_primary == f;
    out_ += fmt::format(R"(<text x="12" y="{:.1f}" font-size="11.5" fill="{}" font-weight="{}">{}{}</text>)", top + 57,
                        primary ? "#2166ac" : "#5b6475", primary ? 600 : 400, html_escape(end), primary ? " ★" : "");
    if (!f->error.empty())
      out_ += fmt::format(
          R"(<text x="12" y="{:.1f}" font-size="11.5" fill="#a50f15" font-weight="600">error: {}</text>)", top + 73,
          html_escape(f->error));
  }
  const double y_hi = layout_.y_of(view, view.hi, top), y_lo = layout_.y_of(view, view.lo, top);
  out_ += fmt::format(
      R"(<text class="mono" x="{0:.1f}" y="{1:.1f}" text-anchor="end" font-size="10" fill="#8a93a3">{2}</text>)"
      R"(<text class="mono" x="{0:.1f}" y="{3:.1f}" text-anchor="end" font-size="10" fill="#8a93a3">{4}</text>)",
      kTimelineLeft - 5, y_hi + 3, view.hi.to_string(), y_lo + 3, view.lo.to_string());
  out_ += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2:.1f}" stroke="#b8c0cc"/>)",
                      kTimelineLeft - 2, y_hi, y_lo);
}

// The state ribbon along the lane's bottom: what the node was after each step.
void TimelineSvg::lane_states(const RunView& view, const std::string& node, double top) {
  static const std::map<std::string, std::pair<const char*, const char*>> colors = {
      {"primary", {"#2166ac", "#fff"}},     {"standby", {"#d1e5f0", "#1d2330"}}, {"paused", {"#f6e27f", "#1d2330"}},
      {"crashed", {"#444", "#fff"}},        {"stopped", {"#999", "#fff"}},       {"wiped", {"#a50f15", "#fff"}},
      {"restoring", {"#c7e9c0", "#1d2330"}}};
  const double y = top + kTimelineLaneHeight - kTimelineRibbonHeight;
  for (size_t c = 0; c < layout_.columns().size(); ++c) {
    const NodePosition* p = position_of(view.entries[c], node);
    if (p == nullptr) continue;
    auto it = colors.find(p->state);
    const auto [fill, ink] = it == colors.end() ? std::pair<const char*, const char*>{"#e0e0e0", "#1d2330"}
                                                : it->second;
    std::string text = p->state;
    if (!p->sync_state.empty() && p->state != "primary") text += " · " + p->sync_state;
    const double w = layout_.width(view, c);
    out_ += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.0f}" fill="{}"/>)",
                        layout_.x_left(view, c) + 0.5, y, std::max(0.5, w - 1), kTimelineRibbonHeight - 1, fill);
    const size_t chars = static_cast<size_t>(w / 7.2);
    if (chars < 4) continue;
    text = shorten(text, chars);
    if (!space_.take_text(layout_.x_mid(view, c), y + 11.5, text, 10.5, true)) continue;
    out_ += fmt::format(
        R"(<text class="lbl" x="{:.1f}" y="{:.1f}" text-anchor="middle" font-size="10.5" fill="{}">{}</text>)",
        layout_.x_mid(view, c), y + 11.5, ink, html_escape(text));
  }
}

void TimelineSvg::lane_bands(const RunView& view, const std::string& node, double top) {
  const auto& columns = layout_.columns();
  for (const auto& b : layout_.bands()) {
    if (b.node != node) continue;
    const char* color = band_color(b.kind);
    const double x = layout_.x_left(view, b.first), w = layout_.x_left(view, b.last + 1) - x;
    out_ += fmt::format(
        R"(<g class="tip band" data-band="{0}"><title>{1}: {2} after {3}{4}</title>)"
        R"~(<rect x="{5:.1f}" y="{6:.1f}" width="{7:.1f}" height="{8:.1f}" fill="url(#hatch-{0})" stroke="{9}" stroke-opacity="0.45"/>)~",
        b.kind, html_escape(node), html_escape(b.label), html_escape(columns[b.first].head),
        b.last + 1 < columns.size() ? " until " + html_escape(columns[b.last + 1].head) : ", to the end", x, top + 1, w,
        kTimelineLaneHeight - kTimelineRibbonHeight - 2, color);
    if (space_.take_text(x + 6, top + 15, b.label, 11.5))
      out_ += fmt::format(
          R"(<text class="lbl" x="{:.1f}" y="{:.1f}" font-size="11.5" font-weight="700" fill="{}">{}</text>)", x + 6,
          top + 15, color, html_escape(b.label));
    out_ += "</g>";
  }
}

// Hover targets: one per cell, telling the node's positions after that step.
void TimelineSvg::lane_cells(const RunView& view, const std::string& node, double top) {
  const auto& columns = layout_.columns();
  for (size_t c = 0; c < columns.size(); ++c) {
    const NodePosition* p = position_of(view.entries[c], node);
    if (p == nullptr) continue;
    std::string t = fmt::format("{} after {} ({})\nstate: {}", node, columns[c].head, columns[c].text, p->state);
    if (!p->sync_state.empty()) t += " · " + p->sync_state;
    t += fmt::format(" · timeline {}", p->timeline);
    if (is_primary_like(*p))
      t += fmt::format("\ninsert {} · flush {}", p->insert_lsn.to_string(), p->flush_lsn.to_string());
    else t += fmt::format("\nwrite {} · replay {}", p->write_lsn.to_string(), p->replay_lsn.to_string());
    if (!is_primary_like(*p) && view.head[c] && p->replay_lsn < *view.head[c])
      t += fmt::format("\nbehind the primary's flush ({}) by {}", view.head[c]->to_string(),
                       fmt_bytes(lsn_diff(*view.head[c], p->replay_lsn)));
    out_ += fmt::format(
        R"(<rect class="cell tip" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}"><title>{}</title></rect>)",
        layout_.x_left(view, c), top, layout_.width(view, c), kTimelineLaneHeight - kTimelineRibbonHeight,
        html_escape(t));
  }
}

// The lag band: between the primary's flush LSN and this standby's replay LSN, labelled
// where the lag changes.
void TimelineSvg::lane_lag(const RunView& view, const std::string& node, double top) {
  const auto& columns = layout_.columns();
  std::vector<std::optional<Lsn>> behind(columns.size());  // The standby's replay LSN where it lags.
  for (size_t c = 0; c < columns.size(); ++c) {
    const NodePosition* p = position_of(view.entries[c], node);
    if (p == nullptr || is_primary_like(*p) || !view.head[c] || p->replay_lsn.value == 0 || p->state == "crashed")
      continue;
    if (p->replay_lsn < *view.head[c]) behind[c] = p->replay_lsn;
  }
  for (size_t c = 0; c < columns.size(); ++c) {
    if (!behind[c]) continue;
    const double y_head = layout_.y_of(view, *view.head[c], top), y_replay = layout_.y_of(view, *behind[c], top);
    out_ += fmt::format(
        R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="#d62728" fill-opacity="0.14" pointer-events="none"/>)",
        layout_.x_left(view, c), y_head, layout_.width(view, c), std::max(1.0, y_replay - y_head));
    out_ += fmt::format(
        R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#999" stroke-dasharray="3 2" pointer-events="none"/>)",
        layout_.x_left(view, c), y_head, layout_.x_left(view, c + 1), y_head);
  }
  for (size_t c = 0; c < columns.size(); ++c) {
    if (!behind[c]) continue;
    const int64_t bytes = lsn_diff(*view.head[c], *behind[c]);
    if (c > 0 && behind[c - 1] && lsn_diff(*view.head[c - 1], *behind[c - 1]) == bytes) continue;
    const double y_head = layout_.y_of(view, *view.head[c], top), y_replay = layout_.y_of(view, *behind[c], top);
    const double x = layout_.x_mid(view, c), y = std::max(y_replay - 7, y_head + 12);
    const std::string text = fmt_bytes(bytes) + " behind";
    if (!space_.take_text(x, y, text, 11, true)) continue;
    out_ += fmt::format(
        R"(<text class="lbl" x="{:.1f}" y="{:.1f}" text-anchor="middle" font-size="11" font-weight="600" fill="#b2182b" pointer-events="none">{}</text>)",
        x, y, text);
  }
}

void TimelineSvg::lane_lines(const RunView& view, const std::string& node, double top) {
  const auto& columns = layout_.columns();
  for (const auto& s : kSeries) {
    const bool wide = std::string_view(s.id) == "insert" || std::string_view(s.id) == "write";
    const bool primary = std::string_view(s.id) == "insert" || std::string_view(s.id) == "flush";
    const char* color = primary ? (wide ? "#9ecae1" : "#2166ac") : (wide ? "#a6dba0" : "#1b7837");
    std::vector<std::pair<double, double>> run;  // Points of the current unbroken segment.
    double half = 0;                             // Half the lone position's column, for its stroke.
    auto flush_run = [&] {
      if (run.size() == 1) {  // A lone position: a short level stroke, so it still reads as a line.
        out_ += fmt::format(
            R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="{}" stroke-width="{}" pointer-events="none"/>)",
            run[0].first - half / 2, run[0].second, run[0].first + half / 2, run[0].second, color, wide ? 5 : 2);
      } else if (run.size() >= 2) {
        std::string points;
        for (const auto& [x, y] : run) points += fmt::format("{:.1f},{:.1f} ", x, y);
        out_ += fmt::format(
            R"(<polyline class="lsn" data-series="{}" points="{}" fill="none" stroke="{}" stroke-width="{}" stroke-linejoin="round" pointer-events="none"/>)",
            s.id, points, color, wide ? 5 : 2);
      }
      run.clear();
    };
    for (size_t c = 0; c < columns.size(); ++c) {
      const NodePosition* p = position_of(view.entries[c], node);
      const std::optional<Lsn> lsn = p == nullptr ? std::nullopt : s.of(*p);
      if (!lsn) {
        flush_run();
        continue;
      }
      if (run.empty()) half = layout_.width(view, c);
      run.emplace_back(layout_.x_mid(view, c), layout_.y_of(view, *lsn, top));
    }
    flush_run();
    if (wide) continue;
    for (size_t c = 0; c < columns.size(); ++c) {  // Dots on the thin line: one per step.
      const NodePosition* p = position_of(view.entries[c], node);
      if (const std::optional<Lsn> lsn = p == nullptr ? std::nullopt : s.of(*p))
        out_ += fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="2.6" fill="{}" pointer-events="none"/>)",
                            layout_.x_mid(view, c), layout_.y_of(view, *lsn, top), color);
    }
  }
}

std::string TimelineSvg::tx_title(const RunView& view, const TxRecord& tx, TxFate fate) const {
  std::string outcomes;
  for (auto o : tx.outcomes) outcomes += (outcomes.empty() ? "" : " or ") + std::string(to_string(o));
  std::string t = fmt::format("{} — {}\non {} at step {} · outcome: {}", tx.label, fate_style(fate).name, tx.node,
                              tx.step + 1, outcomes.empty() ? "none recorded" : outcomes);
  t += fmt::format("\ncommit LSN {}", tx.commit_lsn.value == 0 ? "none (never committed)" : tx.commit_lsn.to_string());
  if (tx.xid != 0) t += fmt::format(" · xid {}", tx.xid);
  if (tx.waited_for_sync) t += "\nwaited for synchronous replication";
  if (const NodeFinal* f = view.final_primary) {
    auto it = f->presence.find(tx.label);
    if (it != f->presence.end()) t += fmt::format("\non the final primary ({}): {}", f->name, to_string(it->second));
  }
  if (!tx.detail.empty()) t += "\n" + tx.detail;
  return t;
}

double TimelineSvg::tx_x(const RunView& view, const TxRecord& tx) const {
  const auto c = layout_.column_of(tx.step);
  if (!c) return 0;
  if (layout_.columns()[*c].count() == 1) return layout_.x_mid(view, *c);
  size_t index = 0, count = 0;  // Among the run's transactions of this column.
  for (const auto& other : view.run->transactions) {
    if (layout_.column_of(other.step) != c) continue;
    if (&other == &tx) index = count;
    ++count;
  }
  return layout_.x_left(view, *c) +
         layout_.width(view, *c) * (static_cast<double>(index) + 0.5) / static_cast<double>(std::max<size_t>(count, 1));
}

void TimelineSvg::lane_marks(const RunView& view, const std::string& node, double top) {
  for (const auto& tx : view.run->transactions)  // Every mark first: no label is drawn under another mark.
    if (tx.node == node && layout_.column_of(tx.step))
      space_.take(tx_x(view, tx) - 10, layout_.y_of(view, tx.commit_lsn, top) - 10, 20, 20);
  for (const auto& tx : view.run->transactions) {
    if (tx.node != node) continue;
    const auto c = layout_.column_of(tx.step);
    if (!c) continue;
    const TxFate fate = tx_fate(*view.run, tx);
    const FateStyle& st = fate_style(fate);
    const double x = tx_x(view, tx), y = layout_.y_of(view, tx.commit_lsn, top);
    out_ += fmt::format(
        R"(<g class="tx tip" data-run="{}" data-label="{}" data-fate="{}" data-node="{}" data-lsn="{}"><title>{}</title>)",
        view.id, html_escape(tx.label), st.id, html_escape(node), tx.commit_lsn.to_string(),
        html_escape(tx_title(view, tx, fate)));
    out_ += fmt::format(
        R"(<circle class="halo" cx="{:.1f}" cy="{:.1f}" r="11" fill="#fff" fill-opacity="0.85" stroke="none"/>)", x, y);
    if (tx.waited_for_sync)
      out_ += fmt::format(
          R"(<circle cx="{:.1f}" cy="{:.1f}" r="12" fill="none" stroke="#555" stroke-dasharray="2 2"/>)", x, y);
    out_ += mark_shape(fate, x, y, 7.5);
    const bool lost = fate == TxFate::kLost;
    const std::string name = shorten(tx.label, 18), sub = lost ? "acknowledged, LOST" : st.id;
    const double w = std::max(text_width(name, 12.5), text_width(sub, 10.5));
    if (space_.take(x + 12, y - 18, w, 32)) {
      out_ += fmt::format(
          R"(<text class="lbl" x="{:.1f}" y="{:.1f}" font-size="12.5" font-weight="700" fill="{}" paint-order="stroke" stroke="#fff" stroke-width="3">{}</text>)",
          x + 12, y - 4, lost ? st.color : "#1d2330", html_escape(name));
      out_ += fmt::format(
          R"(<text class="lbl" x="{:.1f}" y="{:.1f}" font-size="10.5" fill="{}" paint-order="stroke" stroke="#fff" stroke-width="3">{}</text>)",
          x + 12, y + 10.5, lost ? st.color : "#5b6475", sub);
    }
    out_ += "</g>\n";
  }
}

// Where an acknowledged transaction should be but is not: a hollow mark on the final primary.
void TimelineSvg::lane_ghosts(const RunView& view, const std::string& node, double top) {
  if (view.final_primary == nullptr || view.final_primary->name != node) return;
  for (const auto& tx : view.run->transactions) {
    const auto c = layout_.column_of(tx.step);
    if (!c || tx.node == node || tx_fate(*view.run, tx) != TxFate::kLost) continue;
    const double x = tx_x(view, tx), y = layout_.y_of(view, tx.commit_lsn, top);
    const std::string text = tx.label + " missing here";
    out_ += fmt::format(
        R"(<g class="tx tip ghost" data-run="{0}" data-label="{1}" data-fate="missing"><title>{1} is absent on {2}, the final primary: )"
        R"(acknowledged on {3} at {4}, but {2} never received that WAL</title>)"
        R"(<circle cx="{5:.1f}" cy="{6:.1f}" r="8" fill="#fff" stroke="#d62728" stroke-width="2" stroke-dasharray="3 2"/>)"
        R"(<text x="{5:.1f}" y="{7:.1f}" text-anchor="middle" font-size="11" font-weight="700" fill="#d62728">?</text>)",
        view.id, html_escape(tx.label), html_escape(node), html_escape(tx.node), tx.commit_lsn.to_string(), x, y,
        y + 4);
    if (space_.take_text(x + 12, y + 4, text, 11))
      out_ += fmt::format(
          R"(<text class="lbl" x="{:.1f}" y="{:.1f}" font-size="11" fill="#d62728" paint-order="stroke" stroke="#fff" stroke-width="3">{}</text>)",
          x + 12, y + 4, html_escape(text));
    out_ += "</g>";
  }
}
}  // namespace replsim::cli
