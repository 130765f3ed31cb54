#include "verifier/comparison.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

namespace replsim {
namespace {

constexpr size_t kContextLinesMax = 12;

std::string outcomes_text(const std::vector<TxOutcome>& outcomes) {
  if (outcomes.empty()) return "nothing";
  std::vector<std::string> words;
  for (auto o : outcomes) words.push_back(to_string(o));
  return fmt::format("{}", fmt::join(words, " or "));
}

class Comparer {
 public:
  Comparer(const Prediction& p, const History& h, const ByteTolerance& t) : p_(p), h_(h) { c_.tolerance = t; }

  Comparison run() {
    compare_outcomes();
    compare_presence();
    compare_errors();
    compare_lags();
    compare_rows();
    compare_steps();
    compare_timeline_states();
    compare_final_lags();
    c_.agree = c_.differences.empty();
    return std::move(c_);
  }

 private:
  // The history lines about `label` and the faults on `node`, each with one neighbour.
  std::vector<std::string> context(const std::string& label, const std::string& node) const {
    std::set<size_t> picked;
    for (size_t i = 0; i < h_.events.size(); ++i) {
      const HistoryEvent& e = h_.events[i];
      const bool about_label = !label.empty() && e.label == label;
      const bool about_node = !node.empty() && e.type == HistoryEvent::Type::kFault && e.node == node;
      if (!about_label && !about_node) continue;
      if (i > 0) picked.insert(i - 1);
      picked.insert(i);
      if (i + 1 < h_.events.size()) picked.insert(i + 1);
    }
    std::vector<std::string> lines;
    for (size_t i : picked) {
      if (lines.size() == kContextLinesMax) break;
      lines.push_back(format_event(h_.events[i]));
    }
    return lines;
  }

  void differ(Difference::Kind kind, std::string label, std::string node, std::string predicted, std::string observed,
              std::string explanation, const std::string& context_label) {
    Difference d{
        kind, std::move(label), std::move(node), std::move(predicted), std::move(observed), std::move(explanation), {}};
    d.context = context(context_label, d.node);
    c_.differences.push_back(std::move(d));
  }

  void compare_outcomes() {
    for (const auto& pt : p_.transactions) {
      const TxRecord* ht = h_.find_tx(pt.label);
      if (pt.outcomes.size() > 1) ++c_.outcomes.either;
      else ++c_.outcomes.determinate;
      if (ht == nullptr) {
        differ(Difference::Kind::kMissing, pt.label, "", outcomes_text(pt.outcomes), "no record",
               fmt::format("{} was predicted {} but the history has no record of it", pt.label,
                           outcomes_text(pt.outcomes)),
               pt.label);
        continue;
      }
      if (ht->outcomes.empty()) {
        if (pt.outcomes.size() <= 1)
          unobserved(c_.outcomes, "outcome", pt.label, "", outcomes_text(pt.outcomes),
                     "the history recorded no outcome for it");
        else ++c_.outcomes.unobserved;
        continue;
      }
      const bool matches = std::all_of(ht->outcomes.begin(), ht->outcomes.end(), [&](TxOutcome o) {
        return std::find(pt.outcomes.begin(), pt.outcomes.end(), o) != pt.outcomes.end();
      });
      if (matches) {
        if (pt.outcomes.size() <= 1) ++c_.outcomes.agreed;
        continue;
      }
      differ(Difference::Kind::kOutcome, pt.label, "", outcomes_text(pt.outcomes), outcomes_text(ht->outcomes),
             fmt::format("{}: predicted {}, observed {}{}", pt.label, outcomes_text(pt.outcomes),
                         outcomes_text(ht->outcomes), ht->detail.empty() ? "" : " (" + ht->detail + ")"),
             pt.label);
    }
    for (const auto& ht : h_.transactions) {
      if (p_.find_tx(ht.label) != nullptr) continue;
      differ(Difference::Kind::kMissing, ht.label, "", "no record", outcomes_text(ht.outcomes),
             fmt::format("{} was observed {} but the prediction has no record of it", ht.label,
                         outcomes_text(ht.outcomes)),
             ht.label);
    }
  }

  void compare_presence() {
    for (const auto& pn : p_.nodes) {
      const NodeFinal* hn = h_.find_node(pn.name);
      const bool observed_node = hn != nullptr && !hn->presence.empty();
      for (const auto& [label, predicted] : pn.presence) {
        if (predicted == Presence::kEither) {
          ++c_.presence.either;
          continue;
        }
        ++c_.presence.determinate;
        if (!observed_node) {
          unobserved(c_.presence, "presence", label, pn.name, to_string(predicted), why_not_observed(pn.name));
          continue;
        }
        auto it = hn->presence.find(label);
        if (it == hn->presence.end() || it->second == Presence::kEither) {
          differ(Difference::Kind::kMissing, label, pn.name, to_string(predicted), "not observed",
                 fmt::format("{} on {}: predicted {}, but the history did not observe it there", label, pn.name,
                             to_string(predicted)),
                 label);
          continue;
        }
        if (it->second == predicted) {
          ++c_.presence.agreed;
          continue;
        }
        differ(Difference::Kind::kPresence, label, pn.name, to_string(predicted), to_string(it->second),
               fmt::format("{} on {}: predicted {}, observed {}", label, pn.name, to_string(predicted),
                           to_string(it->second)),
               label);
      }
      if (!observed_node || pn.presence.empty()) continue;
      for (const auto& [label, seen] : hn->presence) {
        if (pn.presence.count(label)) continue;
        differ(Difference::Kind::kMissing, label, pn.name, "not predicted", to_string(seen),
               fmt::format("{} on {}: observed {}, but the prediction says nothing about it", label, pn.name,
                           to_string(seen)),
               label);
      }
    }
  }

  void compare_errors() {
    std::set<std::string> names;
    for (const auto& n : p_.nodes) names.insert(n.name);
    for (const auto& n : h_.nodes) names.insert(n.name);
    for (const auto& name : names) {
      const NodeFinal* pn = p_.find_node(name);
      const NodeFinal* hn = h_.find_node(name);
      const std::string pe = pn ? pn->error : "";
      if (hn == nullptr && pe.empty()) {
        unobserved(c_.errors, "node_error", "", name, "no error", why_not_observed(name));
        continue;
      }
      ++c_.errors.determinate;
      const std::string he = hn ? hn->error : "";
      if (pe == he) {
        ++c_.errors.agreed;
        continue;
      }
      auto words = [](const std::string& e) { return e.empty() ? std::string("no error") : e; };
      differ(Difference::Kind::kNodeError, "", name, words(pe), words(he),
             fmt::format("{}: predicted {}, observed {}{}", name, words(pe), words(he),
                         hn && !hn->error_detail.empty() ? " (" + hn->error_detail + ")" : ""),
             "");
    }
  }

  void compare_lags() {
    for (const auto& pl : p_.lags) {
      ++c_.lags.determinate;
      const LagMeasure* hl = h_.find_lag(pl.name);
      if (hl == nullptr) {
        differ(Difference::Kind::kMissing, pl.name, pl.standby, "a measurement", "none",
               fmt::format("lag check {} was predicted but not measured", pl.name), "");
        continue;
      }
      const size_t before = c_.differences.size();
      auto field = [&](bool same, const char* what, std::string predicted, std::string observed) {
        if (same) return;
        differ(Difference::Kind::kLag, pl.name, pl.standby, predicted, observed,
               fmt::format("lag check {} on {}: {} predicted {}, observed {}", pl.name, pl.standby, what, predicted,
                           observed),
               "");
      };
      field(pl.transactions == hl->transactions, "transactions behind", std::to_string(pl.transactions),
            std::to_string(hl->transactions));
      field(pl.failover_loses_data == hl->failover_loses_data, "failover_loses_data",
            pl.failover_loses_data ? "true" : "false", hl->failover_loses_data ? "true" : "false");
      std::set<std::string> pr(pl.at_risk.begin(), pl.at_risk.end()), hr(hl->at_risk.begin(), hl->at_risk.end());
      field(pr == hr, "commits at risk", fmt::format("[{}]", fmt::join(pr, ", ")),
            fmt::format("[{}]", fmt::join(hr, ", ")));
      const ByteTolerance& t = c_.tolerance;
      field(t.within(pl.receive_lag_bytes, hl->receive_lag_bytes), "receive lag bytes",
            std::to_string(pl.receive_lag_bytes),
            fmt::format("{} (tolerance: {})", hl->receive_lag_bytes, t.to_string()));
      field(t.within(pl.replay_lag_bytes, hl->replay_lag_bytes), "replay lag bytes",
            std::to_string(pl.replay_lag_bytes),
            fmt::format("{} (tolerance: {})", hl->replay_lag_bytes, t.to_string()));
      if (c_.differences.size() == before) ++c_.lags.agreed;
    }
  }

  void compare_rows() {
    for (const auto& pn : p_.nodes) {
      const NodeFinal* hn = h_.find_node(pn.name);
      const bool open = std::any_of(pn.presence.begin(), pn.presence.end(),
                                    [](const auto& kv) { return kv.second == Presence::kEither; });
      for (const auto& [table, count] : pn.row_counts) {
        if (open) {
          ++c_.rows.either;
          continue;
        }
        ++c_.rows.determinate;
        if (hn == nullptr || hn->row_counts.count(table) == 0) {
          unobserved(c_.rows, "row_count", table, pn.name, std::to_string(count), why_not_observed(pn.name));
          continue;
        }
        const int64_t seen = hn->row_counts.at(table);
        if (seen == count) {
          ++c_.rows.agreed;
          continue;
        }
        differ(Difference::Kind::kRowCount, table, pn.name, std::to_string(count), std::to_string(seen),
               fmt::format("{} on {}: predicted {} rows, observed {}", table, pn.name, count, seen), "");
      }
    }
  }

  // Each step's own result: the server refused it with an ERROR of one SQLSTATE, or did not.
  void compare_steps() {
    for (const StepResult& ps : p_.steps) {
      const StepResult* hs = h_.find_step(ps.step);
      if (ps.timing_decides) ++c_.steps.either;
      else ++c_.steps.determinate;
      if (hs == nullptr) {
        ++c_.steps.unobserved;  // The run ended before it (interrupted), or stored no step results.
        continue;
      }
      if (ps.timing_decides) continue;
      if (ps.refused == hs->refused && ps.sqlstate == hs->sqlstate) {
        ++c_.steps.agreed;
        continue;
      }
      differ(
          Difference::Kind::kStepResult, fmt::format("step {}", ps.step + 1), "", step_words(ps), step_words(*hs),
          fmt::format("step {} ({}): predicted {}, observed {}", ps.step + 1, ps.text, step_words(ps), step_words(*hs)),
          label_of_step(ps.step));
    }
    for (const StepResult& hs : h_.steps) {
      if (!hs.refused || p_.steps.empty() || p_.find_step(hs.step) != nullptr) continue;
      differ(Difference::Kind::kMissing, fmt::format("step {}", hs.step + 1), "", "no record", step_words(hs),
             fmt::format("step {} ({}) was observed {} but the prediction has no record of it", hs.step + 1, hs.text,
                         step_words(hs)),
             label_of_step(hs.step));
    }
  }

  static std::string step_words(const StepResult& s) {
    if (!s.refused) return "accepted";
    return s.message.empty() ? fmt::format("refused ({})", s.sqlstate)
                             : fmt::format("refused ({}: {})", s.sqlstate, s.message);
  }

  // The transaction a step ran, whose events give a step difference its context.
  std::string label_of_step(int step) const {
    for (const auto& t : h_.transactions)
      if (t.step == step) return t.label;
    return "";
  }

  // --- Server states, timelines, pg_stat_replication rows and final lags.

  void unobserved(Tally& tally, std::string what, std::string label, std::string node, std::string predicted,
                  std::string why) {
    ++tally.unobserved;
    c_.unobserved.push_back({std::move(what), std::move(label), std::move(node), std::move(predicted), std::move(why)});
  }

  // Why the history has nothing of `node` at the end.
  std::string why_not_observed(const std::string& node) const {
    const NodeFinal* hn = h_.find_node(node);
    if (hn == nullptr) return fmt::format("the history has no node {}", node);
    if (!hn->server_state)
      return fmt::format("node {} was {} at the end and could not be queried", node, to_string(hn->state));
    if (!server_answers(*hn->server_state))
      return fmt::format("node {} was {} at the end", node, to_string(*hn->server_state));
    return fmt::format("node {} was {} at the end but did not answer", node, to_string(*hn->server_state));
  }

  // The k-th history entry of `step` (the setup may have several entries with step -1).
  const TimelineEntry* history_entry(int step, int k) const {
    for (const auto& e : h_.timeline)
      if (e.step == step && k-- == 0) return &e;
    return nullptr;
  }

  static const NodePosition* position_of(const TimelineEntry* e, const std::string& node) {
    if (e == nullptr) return nullptr;
    for (const auto& p : e->positions)
      if (p.node == node) return &p;
    return nullptr;
  }

  static std::string where(const TimelineEntry& e) {
    return e.step < 0 ? std::string("after setup") : fmt::format("after step {}", e.step + 1);
  }

  void compare_timeline_states() {
    std::map<int, int> seen;
    for (const auto& pe : p_.timeline) {
      const TimelineEntry* he = history_entry(pe.step, seen[pe.step]++);
      for (const auto& pp : pe.positions) {
        const NodePosition* hp = position_of(he, pp.node);
        const std::string at = where(pe);
        const std::string why = hp == nullptr ? fmt::format("the history has no position of {} {}", pp.node, at)
                                : !hp->server_state
                                    ? fmt::format("{} was running {} but did not answer", pp.node, at)
                                    : fmt::format("{} was {} {}", pp.node, to_string(*hp->server_state), at);
        compare_state_at(pe, pp, hp, why);
        compare_timeline_at(pe, pp, hp, why);
        compare_sync_at(pe, pp, hp);
      }
    }
  }

  void compare_state_at(const TimelineEntry& pe, const NodePosition& pp, const NodePosition* hp,
                        const std::string& why) {
    if (!pp.server_state) {
      ++c_.states.either;
      return;
    }
    ++c_.states.determinate;
    const std::string predicted = to_string(*pp.server_state);
    if (hp == nullptr || !hp->server_state)
      return unobserved(c_.states, "server_state", where(pe), pp.node, predicted, why);
    if (*hp->server_state == *pp.server_state) {
      ++c_.states.agreed;
      return;
    }
    const std::string observed = to_string(*hp->server_state);
    differ(Difference::Kind::kServerState, where(pe), pp.node, predicted, observed,
           fmt::format("{} {} ({}): predicted {}, observed {}", pp.node, where(pe), pe.text, predicted, observed), "");
  }

  // A timeline is observed only on a server that answers: a down node's is its last known one.
  void compare_timeline_at(const TimelineEntry& pe, const NodePosition& pp, const NodePosition* hp,
                           const std::string& why) {
    if (!pp.server_state || !server_answers(*pp.server_state)) return;
    ++c_.timelines.determinate;
    const std::string predicted = fmt::format("timeline {}", pp.timeline);
    if (hp == nullptr || !hp->server_state || !server_answers(*hp->server_state))
      return unobserved(c_.timelines, "timeline", where(pe), pp.node, predicted, why);
    if (hp->timeline == pp.timeline) {
      ++c_.timelines.agreed;
      return;
    }
    const std::string observed = fmt::format("timeline {}", hp->timeline);
    differ(Difference::Kind::kTimeline, where(pe), pp.node, predicted, observed,
           fmt::format("{} {} ({}): predicted {}, observed {}", pp.node, where(pe), pe.text, predicted, observed), "");
  }

  static std::string sync_words(const NodePosition& p) {
    if (p.sync_state.empty()) return "no pg_stat_replication row";
    return fmt::format("{} (priority {})", p.sync_state, p.sync_priority.value_or(0));
  }

  void compare_sync_at(const TimelineEntry& pe, const NodePosition& pp, const NodePosition* hp) {
    if (!pp.sync_priority) return;  // Nothing predicted: the primary was down, or timing decides.
    ++c_.syncs.determinate;
    if (hp == nullptr || !hp->sync_priority)
      return unobserved(c_.syncs, "sync", where(pe), pp.node, sync_words(pp),
                        fmt::format("pg_stat_replication could not be read on the primary {}", where(pe)));
    if (hp->sync_state == pp.sync_state && *hp->sync_priority == *pp.sync_priority) {
      ++c_.syncs.agreed;
      return;
    }
    differ(Difference::Kind::kSync, where(pe), pp.node, sync_words(pp), sync_words(*hp),
           fmt::format("{} in pg_stat_replication {} ({}): predicted {}, observed {}", pp.node, where(pe), pe.text,
                       sync_words(pp), sync_words(*hp)),
           "");
  }

  void compare_final_lags() {
    for (const auto& pn : p_.nodes) {
      const NodeFinal* hn = h_.find_node(pn.name);
      const bool observed = hn != nullptr && hn->receive_lag_bytes && hn->replay_lag_bytes;
      if (!pn.receive_lag_bytes || !pn.replay_lag_bytes) {
        if (observed) ++c_.positions.either;
        continue;
      }
      ++c_.positions.determinate;
      const std::string predicted = fmt::format("receive {} B, replay {} B behind", *pn.receive_lag_bytes,
                                                *pn.replay_lag_bytes);
      if (!observed) {
        unobserved(c_.positions, "position_lag", "at the end", pn.name, predicted,
                   hn != nullptr && hn->server_state && *hn->server_state != ServerState::kStandby
                       ? fmt::format("{} was {} at the end, not a standby", pn.name, to_string(*hn->server_state))
                       : fmt::format("{} or the primary could not be read at the end", pn.name));
        continue;
      }
      const ByteTolerance& t = c_.tolerance;
      if (t.within(*pn.receive_lag_bytes, *hn->receive_lag_bytes) &&
          t.within(*pn.replay_lag_bytes, *hn->replay_lag_bytes)) {
        ++c_.positions.agreed;
        continue;
      }
      const std::string observed_words = fmt::format("receive {} B, replay {} B behind", *hn->receive_lag_bytes,
                                                     *hn->replay_lag_bytes);
      differ(Difference::Kind::kPositionLag, "at the end", pn.name, predicted, observed_words,
             fmt::format("{} at the end: predicted {}, observed {} (tolerance: {})", pn.name, predicted, observed_words,
                         t.to_string()),
             "");
    }
  }

  const Prediction& p_;
  const History& h_;
  Comparison c_;
};

nlohmann::json tally_json(const Tally& t) {
  return {{"determinate", t.determinate}, {"either", t.either}, {"agreed", t.agreed}, {"unobserved", t.unobserved}};
}

Tally read_tally(const nlohmann::json& j) {
  return Tally{j.at("determinate").get<int>(), j.at("either").get<int>(), j.at("agreed").get<int>(),
               j.at("unobserved").get<int>()};
}

nlohmann::json unobserved_json(const std::vector<Unobserved>& list) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& u : list)
    out.push_back({{"what", u.what}, {"label", u.label}, {"node", u.node}, {"predicted", u.predicted}, {"why", u.why}});
  return out;
}

// The tallies and the unobserved list were added later: a comparison stored before has none.
void read_states_part(const nlohmann::json& j, Comparison& c) {
  if (j.contains("states")) c.states = read_tally(j.at("states"));
  if (j.contains("timelines")) c.timelines = read_tally(j.at("timelines"));
  if (j.contains("syncs")) c.syncs = read_tally(j.at("syncs"));
  if (j.contains("positions")) c.positions = read_tally(j.at("positions"));
  if (!j.contains("unobserved")) return;
  for (const auto& u : j.at("unobserved"))
    c.unobserved.push_back({u.at("what").get<std::string>(), u.at("label").get<std::string>(),
                            u.at("node").get<std::string>(), u.at("predicted").get<std::string>(),
                            u.at("why").get<std::string>()});
}

}  // namespace

bool ByteTolerance::within(int64_t predicted, int64_t observed) const {
  if ((predicted == 0) != (observed == 0)) return false;
  const int64_t larger = std::max(std::llabs(predicted), std::llabs(observed));
  const auto allowed = std::max<int64_t>(absolute_bytes, static_cast<int64_t>(relative * static_cast<double>(larger)));
  return std::llabs(predicted - observed) <= allowed;
}

std::string ByteTolerance::to_string() const {
  return fmt::format("both zero or both non-zero, within ±max({} B, {:.0f}%)", absolute_bytes, relative * 100);
}

const char* to_string(Difference::Kind kind) {
  switch (kind) {
    case Difference::Kind::kOutcome: return "outcome";
    case Difference::Kind::kPresence: return "presence";
    case Difference::Kind::kNodeError: return "node_error";
    case Difference::Kind::kLag: return "lag";
    case Difference::Kind::kRowCount: return "row_count";
    case Difference::Kind::kMissing: return "missing";
    case Difference::Kind::kStepResult: return "step_result";
    case Difference::Kind::kServerState: return "server_state";
    case Difference::Kind::kTimeline: return "timeline";
    case Difference::Kind::kSync: return "sync";
    case Difference::Kind::kPositionLag: return "position_lag";
  }
  return "?";
}

std::string Tally::to_string() const {
  return fmt::format("{} determinate ({} agree), {} either, {} unobserved", determinate, agreed, either, unobserved);
}

Comparison compare_runs(const Prediction& prediction, const History& history, const ByteTolerance& tolerance) {
  return Comparer(prediction, history, tolerance).run();
}

std::string format_event(const HistoryEvent& e) {
  std::string line = fmt::format("{:+.3f}s  {:<8} {:<8} {:<7} {}", static_cast<double>(e.time_us) / 1e6, e.process,
                                 e.node, to_string(e.type), e.label);
  if (e.xid != 0) line += fmt::format("  xid {}", e.xid);
  if (e.lsn.value != 0) line += "  " + e.lsn.to_string();
  if (!e.detail.empty()) line += "  " + e.detail;
  return line;
}

nlohmann::json to_json(const Comparison& c) {
  nlohmann::json diffs = nlohmann::json::array();
  for (const auto& d : c.differences)
    diffs.push_back({{"kind", to_string(d.kind)},
                     {"label", d.label},
                     {"node", d.node},
                     {"predicted", d.predicted},
                     {"observed", d.observed},
                     {"explanation", d.explanation},
                     {"context", d.context}});
  return {{"agree", c.agree},
          {"differences", diffs},
          {"outcomes", tally_json(c.outcomes)},
          {"presence", tally_json(c.presence)},
          {"errors", tally_json(c.errors)},
          {"lags", tally_json(c.lags)},
          {"rows", tally_json(c.rows)},
          {"steps", tally_json(c.steps)},
          {"byte_tolerance", {{"absolute_bytes", c.tolerance.absolute_bytes}, {"relative", c.tolerance.relative}}},
          {"states", tally_json(c.states)},
          {"timelines", tally_json(c.timelines)},
          {"syncs", tally_json(c.syncs)},
          {"positions", tally_json(c.positions)},
          {"unobserved", unobserved_json(c.unobserved)}};
}

Result<Comparison> comparison_from_json(const nlohmann::json& j) {
  try {
    Comparison c;
    c.agree = j.at("agree").get<bool>();
    for (const auto& d : j.at("differences")) {
      Difference diff;
      const std::string kind = d.at("kind").get<std::string>();
      bool known = false;
      for (auto k : {Difference::Kind::kOutcome, Difference::Kind::kPresence, Difference::Kind::kNodeError,
                     Difference::Kind::kLag, Difference::Kind::kRowCount, Difference::Kind::kMissing,
                     Difference::Kind::kStepResult, Difference::Kind::kServerState, Difference::Kind::kTimeline,
                     Difference::Kind::kSync, Difference::Kind::kPositionLag}) {
        if (kind == to_string(k)) {
          diff.kind = k;
          known = true;
        }
      }
      if (!known) return Status::InvalidInput("malformed comparison: unknown difference kind '" + kind + "'");
      diff.label = d.at("label").get<std::string>();
      diff.node = d.at("node").get<std::string>();
      diff.predicted = d.at("predicted").get<std::string>();
      diff.observed = d.at("observed").get<std::string>();
      diff.explanation = d.at("explanation").get<std::string>();
      diff.context = d.at("context").get<std::vector<std::string>>();
      c.differences.push_back(std::move(diff));
    }
    c.outcomes = read_tally(j.at("outcomes"));
    c.presence = read_tally(j.at("presence"));
    c.errors = read_tally(j.at("errors"));
    c.lags = read_tally(j.at("lags"));
    c.rows = read_tally(j.at("rows"));
    if (j.contains("steps")) c.steps = read_tally(j.at("steps"));  // Absent from comparisons stored before it.
    c.tolerance.absolute_bytes = j.at("byte_tolerance").at("absolute_bytes").get<int64_t>();
    c.tolerance.relative = j.at("byte_tolerance").at("relative").get<double>();
    read_states_part(j, c);
    return c;
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidInput(std::string("malformed comparison: ") + e.what());
  }
}

}  // namespace replsim
