#include "verifier/report_text.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

namespace replsim {
namespace {

std::string position_line(const NodePosition& p) {
  std::string line = fmt::format("{:<8} {} tl{}", p.node, p.state, p.timeline);
  if (p.state == "primary") {
    line += fmt::format(" insert {} flush {}", p.insert_lsn.to_string(), p.flush_lsn.to_string());
  } else if (p.state == "standby" || p.state == "paused" || p.state == "restoring") {
    line += fmt::format(" write {} replay {}", p.write_lsn.to_string(), p.replay_lsn.to_string());
    if (!p.sync_state.empty()) line += " " + p.sync_state;
  }
  if (p.server_state) line += fmt::format(" [{}]", to_string(*p.server_state));
  return line;
}

std::vector<std::string> entry_lines(const std::vector<const TimelineEntry*>& entries) {
  std::vector<std::string> lines;
  for (const TimelineEntry* e : entries) {
    lines.push_back(fmt::format("@{:.3f}s", static_cast<double>(e->time_us) / 1e6));
    for (const auto& p : e->positions) lines.push_back(position_line(p));
    for (const auto& n : e->notes) lines.push_back("* " + n);
  }
  return lines;
}

std::string fit(const std::string& s, size_t width) {
  if (s.size() <= width) return s + std::string(width - s.size(), ' ');
  return s.substr(0, width - 1) + "~";
}

// Long lines of the left column wrap (continuation lines indented) rather than lose words.
std::vector<std::string> wrap(const std::vector<std::string>& lines, size_t width) {
  std::vector<std::string> out;
  for (const auto& line : lines) {
    std::string rest = line;
    bool first = true;
    while (rest.size() > width) {
      size_t cut = rest.rfind(' ', width);
      if (cut == std::string::npos || cut < width / 2) cut = width;
      out.push_back(rest.substr(0, cut));
      rest = "    " + rest.substr(rest[cut] == ' ' ? cut + 1 : cut);
      first = false;
    }
    if (first || rest.size() > 4) out.push_back(rest);
  }
  return out;
}

void two_columns(std::string& out, const std::vector<std::string>& left_lines, const std::vector<std::string>& right,
                 size_t width, const char* indent = "    ") {
  const std::vector<std::string> left = wrap(left_lines, width);
  const size_t rows = std::max(left.size(), right.size());
  for (size_t i = 0; i < rows; ++i) {
    const std::string l = i < left.size() ? left[i] : "";
    const std::string r = i < right.size() ? right[i] : "";
    std::string line = fmt::format("{}{} | {}", indent, fit(l, width), r);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
}

std::map<int, std::vector<const TimelineEntry*>> by_step(const RunResult* r) {
  std::map<int, std::vector<const TimelineEntry*>> out;
  if (r == nullptr) return out;
  for (const auto& e : r->timeline) out[e.step].push_back(&e);
  return out;
}

std::string outcomes_text(const TxRecord* t) {
  if (t == nullptr) return "-";
  std::vector<std::string> words;
  for (auto o : t->outcomes) words.push_back(to_string(o));
  std::string s = words.empty() ? "no outcome" : fmt::format("{}", fmt::join(words, " or "));
  if (t->commit_lsn.value != 0) s += " @" + t->commit_lsn.to_string();
  return s;
}

std::vector<std::string> node_lines(const NodeFinal* n) {
  if (n == nullptr) return {"-"};
  std::vector<std::string> lines;
  lines.push_back(
      fmt::format("{} tl{}{}", to_string(n->state), n->timeline, n->error.empty() ? "" : " ERROR " + n->error));
  if (n->server_state) lines.back() += fmt::format(" [{}]", to_string(*n->server_state));
  if (n->receive_lag_bytes && n->replay_lag_bytes)
    lines.push_back(
        fmt::format("behind the primary: receive {} B, replay {} B", *n->receive_lag_bytes, *n->replay_lag_bytes));
  std::vector<std::string> present, absent, either;
  for (const auto& [label, p] : n->presence)
    (p == Presence::kPresent ? present : p == Presence::kAbsent ? absent : either).push_back(label);
  if (!present.empty()) lines.push_back(fmt::format("present: {}", fmt::join(present, ", ")));
  if (!absent.empty()) lines.push_back(fmt::format("absent: {}", fmt::join(absent, ", ")));
  if (!either.empty()) lines.push_back(fmt::format("either: {}", fmt::join(either, ", ")));
  if (!n->row_counts.empty()) {
    std::vector<std::string> counts;
    for (const auto& [table, count] : n->row_counts) counts.push_back(fmt::format("{}={}", table, count));
    lines.push_back(fmt::format("rows: {}", fmt::join(counts, " ")));
  }
  return lines;
}

std::vector<std::string> lag_lines(const LagMeasure* l) {
  if (l == nullptr) return {"-"};
  return {fmt::format("{}: {} tx behind, receive {} B, replay {} B", l->standby, l->transactions, l->receive_lag_bytes,
                      l->replay_lag_bytes),
          fmt::format("failover loses data: {}{}", l->failover_loses_data ? "yes" : "no",
                      l->at_risk.empty() ? "" : fmt::format(" ({})", fmt::join(l->at_risk, ", ")))};
}

// A step either side's server refused: "ERROR 55000: recovery is in progress" beside the other
// side's answer.
void refusal_lines(std::string& out, const RunResult* prediction, const RunResult* history, int step, size_t width) {
  const StepResult* p = prediction != nullptr ? prediction->find_step(step) : nullptr;
  const StepResult* h = history != nullptr ? history->find_step(step) : nullptr;
  if ((p == nullptr || !p->refused) && (h == nullptr || !h->refused)) return;
  auto words = [](const StepResult* s) -> std::string {
    if (s == nullptr) return "-";
    if (!s->refused) return "accepted";
    return fmt::format("ERROR {}: {}{}", s->sqlstate, s->message, s->timing_decides ? " (timing decides)" : "");
  };
  two_columns(out, {words(p)}, {words(h)}, width);
}

// The server-state comparisons' tallies and each prediction the history could not observe.
std::string state_tallies(const Comparison& c) {
  std::string out = fmt::format(
      "    server states: {}\n    timelines: {}\n    pg_stat_replication rows: {}\n    final lags: {}\n",
      c.states.to_string(), c.timelines.to_string(), c.syncs.to_string(), c.positions.to_string());
  for (size_t i = 0; i < c.unobserved.size(); ++i) {
    const Unobserved& u = c.unobserved[i];
    out += fmt::format("    UNOBSERVED {} ({}): {}{}{}: predicted {}, not observed: {}\n", i + 1, u.what, u.label,
                       u.label.empty() || u.node.empty() ? "" : " on ", u.node, u.predicted, u.why);
  }
  return out;
}

void findings_section(std::string& out, const char* side, const std::vector<Finding>& findings) {
  if (findings.empty()) {
    out += fmt::format("  history checks on the {}: {} passed\n", side, history_check_names().size());
    return;
  }
  out += fmt::format("  history checks on the {}: {} violation(s)\n", side, findings.size());
  for (const auto& f : findings) out += "    VIOLATION " + to_string(f) + "\n";
}

}  // namespace

std::string render_timelines(const Prediction* prediction, const History* history, const ReportLayout& options) {
  const size_t width = static_cast<size_t>(std::max(options.column_width, 20));
  std::string out;
  out += fmt::format("    {} | {}\n", fit("PREDICTED (simulator)", width), "OBSERVED (postgresql)");
  auto left = by_step(prediction), right = by_step(history);
  std::set<int> steps;
  for (const auto& [s, e] : left) steps.insert(s);
  for (const auto& [s, e] : right) steps.insert(s);
  for (int step : steps) {
    const auto& l = left[step];
    const auto& r = right[step];
    const std::string text = !l.empty() ? l.front()->text : !r.empty() ? r.front()->text : "";
    out += step < 0 ? fmt::format("  setup: {}\n", text) : fmt::format("  {:>2}. {}\n", step + 1, text);
    two_columns(out, entry_lines(l), entry_lines(r), width);
    refusal_lines(out, prediction, history, step, width);
  }
  std::vector<std::string> labels;
  for (const RunResult* run : {static_cast<const RunResult*>(prediction), static_cast<const RunResult*>(history)})
    if (run)
      for (const auto& t : run->transactions)
        if (std::find(labels.begin(), labels.end(), t.label) == labels.end()) labels.push_back(t.label);
  if (!labels.empty()) out += "  transactions\n";
  for (const auto& label : labels)
    two_columns(out,
                {fmt::format("{:<12} {}", label, outcomes_text(prediction ? prediction->find_tx(label) : nullptr))},
                {outcomes_text(history ? history->find_tx(label) : nullptr)}, width);
  std::vector<std::string> nodes;
  for (const RunResult* run : {static_cast<const RunResult*>(prediction), static_cast<const RunResult*>(history)})
    if (run)
      for (const auto& n : run->nodes)
        if (std::find(nodes.begin(), nodes.end(), n.name) == nodes.end()) nodes.push_back(n.name);
  if (!nodes.empty()) out += "  final state\n";
  for (const auto& name : nodes) {
    out += fmt::format("    [{}]\n", name);
    two_columns(out, node_lines(prediction ? prediction->find_node(name) : nullptr),
                node_lines(history ? history->find_node(name) : nullptr), width, "      ");
  }
  std::vector<std::string> lags;
  for (const RunResult* run : {static_cast<const RunResult*>(prediction), static_cast<const RunResult*>(history)})
    if (run)
      for (const auto& l : run->lags)
        if (std::find(lags.begin(), lags.end(), l.name) == lags.end()) lags.push_back(l.name);
  if (!lags.empty()) out += "  lag checks\n";
  for (const auto& name : lags) {
    out += fmt::format("    [{}]\n", name);
    two_columns(out, lag_lines(prediction ? prediction->find_lag(name) : nullptr),
                lag_lines(history ? history->find_lag(name) : nullptr), width, "      ");
  }
  return out;
}

std::string render_verdict(const Verification& v) {
  std::string out;
  if (v.verdict == Verification::Verdict::kError) {
    out += fmt::format("  verdict: ERROR: {}\n", v.error);
  } else {
    const Comparison& c = v.comparison;
    out += v.verdict == Verification::Verdict::kAgree ? "  verdict: AGREE\n"
           : v.verdict == Verification::Verdict::kIncomplete
               ? fmt::format("  verdict: INCOMPLETE ({} prediction(s) not observed)\n", c.unobserved.size())
               : fmt::format("  verdict: DISAGREE ({} difference(s))\n", c.differences.size());
    out += fmt::format(
        "    outcomes: {}\n    presence: {}\n    node errors: {}\n    lag checks: {}\n    row counts: {}\n",
        c.outcomes.to_string(), c.presence.to_string(), c.errors.to_string(), c.lags.to_string(), c.rows.to_string());
    out += fmt::format("    step results: {}\n", c.steps.to_string());
    out += state_tallies(c);
    for (size_t i = 0; i < c.differences.size(); ++i) {
      const Difference& d = c.differences[i];
      out += fmt::format("    DIFFERENCE {} ({}): {}\n", i + 1, to_string(d.kind), d.explanation);
      if (!d.context.empty()) out += "      history around it:\n";
      for (const auto& line : d.context) out += "        " + line + "\n";
    }
    findings_section(out, "history", v.history_findings);
    findings_section(out, "prediction", v.prediction_findings);
  }
  const size_t n = std::max(v.predicted_expectations.size(), v.observed_expectations.size());
  if (n > 0) out += "  expectations (predicted | observed)\n";
  for (size_t i = 0; i < n; ++i) {
    const ExpectationOutcome* p = i < v.predicted_expectations.size() ? &v.predicted_expectations[i] : nullptr;
    const ExpectationOutcome* o = i < v.observed_expectations.size() ? &v.observed_expectations[i] : nullptr;
    const std::string text = p ? p->text : o->text;
    out += fmt::format("    {:<44} {:<12} | {}\n", fit(text, 44), p ? to_string(p->verdict) : "-",
                       o ? to_string(o->verdict) : "-");
    for (const ExpectationOutcome* e : {p, o})
      if (e && e->verdict != ExpectationResult::Verdict::kHeld)
        out += fmt::format("      {} ({}): {}\n", to_string(e->verdict), e == p ? "predicted" : "observed",
                           e->explanation);
  }
  out += fmt::format("  result: {}\n", v.passed() ? "PASS" : "FAIL");
  return out;
}

std::string render_report(const Verification& v, const Prediction* prediction, const History* history,
                          const ReportLayout& options) {
  std::string out = fmt::format("== {} ({}, seed {})\n", v.scenario, v.file, v.seed);
  if (options.timelines && (prediction != nullptr || history != nullptr))
    out += render_timelines(prediction, history, options);
  out += render_verdict(v);
  return out;
}

}  // namespace replsim
