#include "cli/timeline_page.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cli/html_escape.h"
#include "cli/plot_timeline.h"
#include "cli/timeline_svg.h"
#include "cli/timeline_waits.h"

namespace replsim::cli {

TimelinePage::TimelinePage(const Scenario& scenario, const RunResult* predicted, const RunResult* observed,
                           PageBanner banner, TimelineAxis axis)
    : scenario_(scenario), layout_(scenario, predicted, observed, axis), banner_(std::move(banner)) {}

std::string TimelinePage::render() {
  out_.reserve(64 * 1024);
  head();
  header();
  summary();
  legend();
  out_ += TimelineSvg(layout_).render();
  out_ += render_timeline_plots(layout_);  // Lag and throughput over time (plot_timeline.h).
  transactions_table();
  lags_table();
  notes();
  steps_table();
  script();
  return std::move(out_);
}

void TimelinePage::head() {
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
#timeline{display:block;max-width:100%;height:auto}
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

void TimelinePage::header() {
  out_ += "<body>\n<svg width=\"0\" height=\"0\" style=\"position:absolute\" aria-hidden=\"true\"><defs>";
  for (const auto& b : kTimelineBandKinds)
    out_ += fmt::format(
        R"~(<pattern id="hatch-{0}" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">)~"
        R"(<rect width="8" height="8" fill="{1}" fill-opacity="0.10"/><line x1="0" y1="0" x2="0" y2="8" stroke="{1}" stroke-width="3" stroke-opacity="0.30"/></pattern>)",
        b.kind, band_color(b.kind));
  out_ += "</defs></svg>\n<header>\n";
  out_ += fmt::format("<h1>{}</h1>\n", html_escape(scenario_.name));
  if (!scenario_.description.empty())
    out_ += fmt::format("<p class=\"desc\">{}</p>\n", html_escape(scenario_.description));
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
void TimelinePage::summary() {
  out_ += "<div class=\"cards\">\n";
  if (layout_.views().empty())
    out_ += "<div class=\"card\"><b>No run</b><br>Nothing was simulated or observed yet.</div>\n";
  for (const auto& v : layout_.views()) {
    std::map<TxFate, std::vector<std::string>> by_fate;
    for (const auto& t : v.run->transactions) by_fate[tx_fate(*v.run, t)].push_back(t.label);
    std::string counts;
    for (const auto& s : kFateStyles) {
      auto it = by_fate.find(s.fate);
      if (it == by_fate.end()) continue;
      counts += fmt::format("{}<span class=\"{}\" data-count=\"{}\">{}</span>", counts.empty() ? "" : " · ",
                            s.fate == TxFate::kLost ? "lost" : "", s.id, fate_count(by_fate, s.fate));
    }
    const bool bad = by_fate.count(TxFate::kLost) != 0;
    out_ += fmt::format("<div class=\"card{}\" data-run=\"{}\"><b>{}</b>{}<br>{}</div>\n", bad ? " bad" : "", v.id,
                        html_escape(v.title), v.run->seed != 0 ? fmt::format(" · seed {}", v.run->seed) : "",
                        counts.empty() ? "no transactions" : counts);
  }
  out_ += "</div>\n";
}

// "3 acknowledged, kept: a, b, c"; a long list is cut ("20 of 20 acknowledged, then LOST: a_1,
// a_2, a_3, … a_20"), and the lost count says of how many acknowledged transactions.
std::string TimelinePage::fate_count(const std::map<TxFate, std::vector<std::string>>& by_fate, TxFate fate) {
  const std::vector<std::string>& labels = by_fate.at(fate);
  std::string list;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels.size() > 6 && i == 3) {
      list += ", … " + html_escape(labels.back());
      break;
    }
    list += (i == 0 ? "" : ", ") + html_escape(labels[i]);
  }
  std::string count = std::to_string(labels.size());
  if (fate == TxFate::kLost) {
    size_t acked = 0;
    for (TxFate f : {TxFate::kLost, TxFate::kKept, TxFate::kAcknowledged})
      if (auto it = by_fate.find(f); it != by_fate.end()) acked += it->second.size();
    count += fmt::format(" of {}", acked);
  }
  return fmt::format("{} {}: {}", count, fate_style(fate).name, list);
}

void TimelinePage::legend() {
  out_ += "<div class=\"legend\">";
  for (const auto& s : kFateStyles)
    out_ += fmt::format(R"(<span data-legend="{}"><svg width="18" height="18">{}</svg>{}</span>)", s.id,
                        mark_shape(s.fate, 9, 9, 6.5), s.name);
  out_ += R"(<span class="sep"></span>)";
  out_ +=
      R"(<span><svg width="26" height="10"><line x1="1" y1="5" x2="25" y2="5" stroke="#9ecae1" stroke-width="5"/>)"
      R"(<line x1="1" y1="5" x2="25" y2="5" stroke="#2166ac" stroke-width="2"/></svg>primary insert / flush LSN</span>)";
  out_ +=
      R"(<span><svg width="26" height="10"><line x1="1" y1="5" x2="25" y2="5" stroke="#a6dba0" stroke-width="5"/>)"
      R"(<line x1="1" y1="5" x2="25" y2="5" stroke="#1b7837" stroke-width="2"/></svg>standby write / replay LSN</span>)";
  out_ +=
      R"(<span><svg width="26" height="12"><rect x="1" y="1" width="24" height="10" fill="#d62728" fill-opacity="0.16"/>)"
      R"(<line x1="1" y1="1" x2="25" y2="1" stroke="#999" stroke-dasharray="3 2"/></svg>behind the primary (lag)</span>)";
  out_ +=
      R"(<span><svg width="26" height="14"><rect width="26" height="14" fill="#ff7f0e" fill-opacity="0.09"/>)"
      R"(<rect y="6" width="26" height="8" rx="2" fill="#e6550d" fill-opacity="0.85"/></svg>commit waiting (its duration)</span>)";
  out_ += R"(<span class="sep"></span>)";
  for (const auto& b : kTimelineBandKinds)
    out_ += fmt::format(
        R"~(<span><svg width="22" height="14"><rect width="22" height="14" fill="url(#hatch-{})" stroke="{}" stroke-opacity="0.4"/></svg>{}</span>)~",
        b.kind, band_color(b.kind), b.label);
  out_ += "</div>\n";
}

// Transactions × nodes: is each transaction's effect on each node at the end?
void TimelinePage::transactions_table() {
  std::vector<std::pair<int, std::string>> labels;
  for (const auto& v : layout_.views())
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
  for (const auto& v : layout_.views())
    out_ += fmt::format("<th colspan=\"{}\">{}</th>", layout_.nodes().size() + 1, html_escape(v.title));
  out_ += "</tr><tr>";
  for (const auto& v : layout_.views()) {
    out_ += "<th>outcome</th>";
    for (const auto& n : layout_.nodes())
      out_ += fmt::format("<th>{}{}</th>", html_escape(n),
                          v.final_primary != nullptr && v.final_primary->name == n ? " ★" : "");
  }
  out_ += "</tr></thead><tbody>\n";
  for (const auto& [step, label] : labels) {
    out_ += fmt::format("<tr data-label=\"{0}\"><td><b>{0}</b></td><td>{1}</td>", html_escape(label), step + 1);
    for (const auto& v : layout_.views()) {
      const TxRecord* tx = v.run->find_tx(label);
      if (tx == nullptr) {
        out_ += fmt::format("<td class=\"muted\" colspan=\"{}\">not run</td>", layout_.nodes().size() + 1);
        continue;
      }
      const TxFate fate = tx_fate(*v.run, *tx);
      out_ += fmt::format("<td data-fate=\"{}\" style=\"color:{}\">{}</td>", fate_style(fate).id,
                          fate_style(fate).color, fate_style(fate).name);
      presence_cells(v, label, fate);
    }
    out_ += "</tr>\n";
  }
  out_ +=
      "</tbody></table>\n<p class=\"muted\">★ the run's final primary. A red outline marks a cell where prediction "
      "and observation disagree.</p>\n";
  waits_table();
}

// How long each commit that waited waited, from its invocation to its answer or the end.
void TimelinePage::waits_table() {
  std::string rows;
  for (const auto& v : layout_.views())
    for (const CommitWait& w : commit_waits(*v.run))
      rows += fmt::format(
          "<tr data-label=\"{0}\"><td>{1}</td><td><b>{0}</b></td><td>{2}</td><td data-wait-us=\"{3}\">{4}</td>"
          "<td>step {5}</td><td>{6}</td></tr>\n",
          html_escape(w.label), html_escape(v.title), html_escape(w.node), w.waited_us(), fmt_wait(w.waited_us()),
          w.step + 1, w.open ? "still waiting at the end" : fmt::format("step {}: {}", w.end_step + 1, w.ended));
  if (rows.empty()) return;
  out_ +=
      "<h2>Commit waits</h2>\n<table class=\"waits\"><thead><tr><th>run</th><th>transaction</th><th>on</th>"
      "<th>waited</th><th>from</th><th>until</th></tr></thead><tbody>\n" +
      rows + "</tbody></table>\n";
}

// One cell per node: is `label`'s effect there at the end of `view`'s run? A cell where
// another run says otherwise (neither saying "either") is outlined.
void TimelinePage::presence_cells(const RunView& view, const std::string& label, TxFate fate) {
  for (const auto& n : layout_.nodes()) {
    const NodeFinal* f = view.run->find_node(n);
    auto it = f == nullptr ? std::map<std::string, Presence>::const_iterator{} : f->presence.find(label);
    if (f == nullptr || it == f->presence.end()) {
      out_ += "<td class=\"muted\">—</td>";
      continue;
    }
    const Presence p = it->second;
    bool differs = false;  // Prediction and observation disagree about this cell.
    for (const auto& other : layout_.views()) {
      const NodeFinal* of = other.run->find_node(n);
      if (of == nullptr || &other == &view) continue;
      auto oit = of->presence.find(label);
      differs = differs || (oit != of->presence.end() && oit->second != p && oit->second != Presence::kEither &&
                            p != Presence::kEither);
    }
    const bool acked = fate == TxFate::kLost || fate == TxFate::kKept || fate == TxFate::kAcknowledged;
    const char* cls = p == Presence::kPresent  ? "present"
                      : p == Presence::kEither ? "either"
                      : acked                  ? "lost"
                                               : "absent";
    const char* text = p == Presence::kPresent ? "✓ present" : p == Presence::kEither ? "? either" : "✗ absent";
    out_ += fmt::format("<td class=\"{}{}\">{}</td>", cls, differs ? " differs" : "", text);
  }
}

void TimelinePage::lags_table() {
  bool any = false;
  for (const auto& v : layout_.views()) any = any || !v.run->lags.empty();
  if (!any) return;
  out_ +=
      "<h2>Lag checks</h2>\n<table><thead><tr><th>run</th><th>check</th><th>standby</th><th>primary LSN</th>"
      "<th>received / replayed</th><th>receive lag</th><th>replay lag</th><th>commits not replayed</th>"
      "<th>failover loses data</th></tr></thead><tbody>\n";
  for (const auto& v : layout_.views())
    for (const auto& l : v.run->lags) {
      std::string risk;
      for (const auto& a : l.at_risk) risk += (risk.empty() ? "" : ", ") + html_escape(a);
      out_ += fmt::format(
          "<tr><td>{}</td><td><b>{}</b></td><td>{}</td><td><code>{}</code></td><td><code>{}</code> / <code>{}</code></td>"
          "<td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}{}</td></tr>\n",
          html_escape(v.title), html_escape(l.name), html_escape(l.standby), l.primary_lsn.to_string(),
          l.receive_lsn.to_string(), l.replay_lsn.to_string(), fmt_bytes(l.receive_lag_bytes),
          fmt_bytes(l.replay_lag_bytes), l.transactions, l.failover_loses_data ? "lost" : "present",
          l.failover_loses_data ? "yes" : "no", risk.empty() ? "" : ": " + risk);
    }
  out_ += "</tbody></table>\n";
}

void TimelinePage::notes() {
  out_ += "<h2>What happened</h2>\n";
  for (const auto& v : layout_.views()) {
    out_ += fmt::format("<p><b>{}</b></p>\n<ul class=\"notes\">", html_escape(v.title));
    if (v.run->notes.empty()) out_ += "<li class=\"muted\">no notes</li>";
    std::vector<std::string> labels;
    for (const auto& tx : v.run->transactions) labels.push_back(tx.label);
    for (const auto& n : group_notes(v.run->notes, labels)) out_ += fmt::format("<li>{}</li>", html_escape(n));
    out_ += "</ul>\n";
  }
  if (!scenario_.expectations.empty()) {
    out_ += "<p><b>The scenario expects</b></p>\n<ul class=\"notes\">";
    for (const auto& e : scenario_.expectations) out_ += fmt::format("<li><code>{}</code></li>", html_escape(e.text));
    out_ += "</ul>\n";
  }
}

void TimelinePage::steps_table() {
  out_ += "<h2>Steps</h2>\n<table><thead><tr><th>step</th><th>as written</th>";
  for (const auto& v : layout_.views()) out_ += fmt::format("<th>{}: time</th><th>{}: what it caused</th>", v.id, v.id);
  out_ += "</tr></thead><tbody>\n";
  for (size_t c = 0; c < layout_.columns().size(); ++c) {
    out_ += fmt::format("<tr><td>{}</td><td><code>{}</code></td>", html_escape(layout_.columns()[c].head),
                        html_escape(layout_.columns()[c].text));
    for (const auto& v : layout_.views()) {
      const TimelineEntry* e = v.entries[c];
      std::vector<std::string> notes, labels;
      for (const TimelineEntry* each : v.column_entries[c])
        notes.insert(notes.end(), each->notes.begin(), each->notes.end());
      for (const auto& tx : v.run->transactions) labels.push_back(tx.label);
      std::string caused;
      for (const auto& n : group_notes(notes, labels)) caused += (caused.empty() ? "" : "<br>") + html_escape(n);
      out_ += fmt::format("<td>{}</td><td>{}</td>", e == nullptr ? "—" : fmt_time(e->time_us), caused);
    }
    out_ += "</tr>\n";
  }
  out_ += "</tbody></table>\n";
}

// Tooltips (from each mark's <title>, which also serves without script), highlighting a
// transaction everywhere it appears, and the data-rendered flag the browser test reads.
void TimelinePage::script() {
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

}  // namespace replsim::cli
