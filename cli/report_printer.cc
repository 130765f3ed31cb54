#include "cli/report_printer.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iterator>

#include "cli/timeline_waits.h"
#include "verifier/verification.h"

namespace replsim::cli {
namespace {

std::string ms(int64_t us) { return fmt::format("{}.{:03} ms", us / 1000, us % 1000); }

std::string outcomes(const TxRecord& tx) {
  std::vector<std::string> names;
  for (auto o : tx.outcomes) names.push_back(to_string(o));
  return names.empty() ? "no outcome" : fmt::format("{}", fmt::join(names, " or "));
}

const char* mark(ExpectationResult::Verdict v) {
  switch (v) {
    case ExpectationResult::Verdict::kHeld: return "✓";
    case ExpectationResult::Verdict::kFailed: return "✗";
    case ExpectationResult::Verdict::kUndetermined: return "?";
  }
  return "?";
}

// One node's positions; a standby's lag is measured against the original primary's flush
// position (standbys stream from it), as pg_wal_lsn_diff would.
std::string position_line(const NodePosition& p, const NodePosition& primary) {
  std::string line = fmt::format("{:<10} {:<8} tl {}", p.node, p.state, p.timeline);
  if (p.state == "primary")
    return line + fmt::format("  insert {}  flush {}", p.insert_lsn.to_string(), p.flush_lsn.to_string());
  if (p.write_lsn.value == 0 && p.replay_lsn.value == 0)
    return line + (p.insert_lsn.value ? fmt::format("  flush {}", p.flush_lsn.to_string())
                                      : fmt::format("  flush {}", p.flush_lsn.to_string()));
  line += fmt::format("  write {}  flush {}  replay {}", p.write_lsn.to_string(), p.flush_lsn.to_string(),
                      p.replay_lsn.to_string());
  if (&p != &primary) {
    line += fmt::format("  lag {} B", std::max<int64_t>(0, lsn_diff(primary.flush_lsn, p.replay_lsn)));
  }
  if (!p.sync_state.empty()) line += "  " + p.sync_state;
  else if (p.state == "standby") line += "  (not streaming)";
  return line;
}

void timeline(std::string& out, const RunResult& run) {
  out += "timeline (virtual time; positions right after each step)\n";
  for (const auto& e : run.timeline) {
    out += fmt::format("{:>3}  {:>12}  {}\n", e.step + 1, ms(e.time_us), e.text);
    for (const auto& p : e.positions) out += fmt::format("{:19}{}\n", "", position_line(p, e.positions.front()));
    for (const auto& n : e.notes) out += fmt::format("{:19}· {}\n", "", n);
  }
}

void transactions(std::string& out, const RunResult& run) {
  if (run.transactions.empty()) return;
  out += "\ntransactions\n";
  for (const auto& tx : run.transactions) {
    out += fmt::format("  {:<12} {:<28}", tx.label, outcomes(tx));
    if (tx.xid != 0)
      out += fmt::format(" xid {} commit {} at {} on {} (timeline {})", tx.xid, tx.commit_lsn.to_string(),
                         ms(tx.commit_time_us), tx.node, tx.timeline);
    else out += fmt::format(" on {}", tx.node);
    if (tx.waited_for_sync) out += ", waited for sync";
    out += "\n";
    if (!tx.detail.empty()) out += fmt::format("{:44}{}\n", "", tx.detail);
  }
}

// How long each commit that waited waited: for a synchronous standby, a stalled disk or a
// paused primary, from its invocation to its answer (or the end).
void waits(std::string& out, const RunResult& run) {
  const std::vector<CommitWait> list = commit_waits(run);
  if (list.empty()) return;
  out += "\ncommit waits\n";
  for (const auto& w : list) out += fmt::format("  {}\n", wait_line(w));
}

void lags(std::string& out, const RunResult& run) {
  if (run.lags.empty()) return;
  out += "\nlag checks\n";
  for (const auto& m : run.lags) {
    out += fmt::format(
        "  {} on {}: primary {}, received {}, replayed {}: receive lag {} B, replay lag {} B, {} commit(s) "
        "not replayed; failover {}\n",
        m.name, m.standby, m.primary_lsn.to_string(), m.receive_lsn.to_string(), m.replay_lsn.to_string(),
        m.receive_lag_bytes, m.replay_lag_bytes, m.transactions,
        m.failover_loses_data ? fmt::format("loses {}", fmt::join(m.at_risk, ", ")) : "loses nothing acknowledged");
  }
}

void final_state(std::string& out, const RunResult& run) {
  out += "\nfinal state\n";
  for (const auto& n : run.nodes) {
    out += fmt::format("  {:<10} {:<8} timeline {}", n.name, to_string(n.state), n.timeline);
    if (n.presence.empty() && n.row_counts.empty()) {
      out += "  (contents not observable)\n";
      continue;
    }
    std::vector<std::string> present;
    for (const auto& [label, p] : n.presence) present.push_back(fmt::format("{} {}", label, to_string(p)));
    std::vector<std::string> rows;
    for (const auto& [table, count] : n.row_counts) rows.push_back(fmt::format("{} {}", table, count));
    if (!present.empty()) out += fmt::format("  {}", fmt::join(present, ", "));
    if (!rows.empty()) out += fmt::format("  | rows: {}", fmt::join(rows, ", "));
    if (!n.error.empty()) out += fmt::format("  error {}", n.error);
    out += "\n";
  }
}

void expectations(std::string& out, const std::vector<ExpectationResult>& verdicts, bool quiet) {
  if (!quiet) out += "\nexpectations\n";
  for (const auto& v : verdicts) {
    if (quiet && v.verdict == ExpectationResult::Verdict::kHeld) continue;
    const Expectation& e = *v.expectation;
    out += fmt::format("  {} {:<40} line {}: {}\n", mark(v.verdict), e.text, e.pos.line, v.explanation);
  }
}

}  // namespace

std::string format_report(const Scenario& scenario, const RunResult& run,
                          const std::vector<ExpectationResult>& verdicts, const ReportOptions& options) {
  std::string out;
  const auto held = std::count_if(verdicts.begin(), verdicts.end(),
                                  [](const auto& v) { return v.verdict == ExpectationResult::Verdict::kHeld; });
  const std::string summary = fmt::format("{}: {} of {} expectations held ({}, seed {})\n",
                                          run.file.empty() ? scenario.name : run.file, held, verdicts.size(),
                                          run.source, run.seed);
  if (options.quiet) {
    expectations(out, verdicts, true);
    return out + summary;
  }
  out += fmt::format("{} — {} (seed {})\n", scenario.name, run.source, run.seed);
  if (!scenario.description.empty()) out += fmt::format("{}\n", scenario.description);
  std::vector<std::string> standbys;
  for (size_t i = 1; i < scenario.cluster.nodes.size(); ++i) standbys.push_back(scenario.cluster.nodes[i].name);
  out += fmt::format("cluster: primary {}, standbys [{}], synchronous_commit={}, synchronous_standby_names='{}'\n\n",
                     scenario.cluster.nodes.empty() ? "?" : scenario.cluster.nodes[0].name, fmt::join(standbys, ", "),
                     to_string(scenario.cluster.synchronous_commit), scenario.cluster.synchronous_standby_names);
  timeline(out, run);
  transactions(out, run);
  waits(out, run);
  lags(out, run);
  final_state(out, run);
  if (const std::string loss = loss_summary(scenario, run); !loss.empty()) out += fmt::format("\n{}\n", loss);
  if (!run.notes.empty()) {
    out += "\nwhat was lost and why\n";
    std::vector<std::string> labels;
    for (const auto& tx : run.transactions) labels.push_back(tx.label);
    for (const auto& n : group_notes(run.notes, labels)) out += fmt::format("  - {}\n", n);
  }
  expectations(out, verdicts, false);
  return out + summary;
}

nlohmann::json report_json(const RunResult& run, const std::vector<ExpectationResult>& verdicts) {
  nlohmann::json doc = to_json(run);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& v : verdicts) {
    list.push_back({{"text", v.expectation->text},
                    {"kind", to_string(v.expectation->kind)},
                    {"line", v.expectation->pos.line},
                    {"verdict", to_string(v.verdict)},
                    {"explanation", v.explanation}});
  }
  doc["expectations"] = std::move(list);
  return doc;
}

}  // namespace replsim::cli
