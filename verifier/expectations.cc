#include "verifier/expectations.h"

#include <fmt/format.h>

#include <algorithm>

namespace replsim {
namespace {

using Verdict = ExpectationResult::Verdict;

ExpectationResult held(std::string why) { return {nullptr, Verdict::kHeld, std::move(why)}; }
ExpectationResult failed(std::string why) { return {nullptr, Verdict::kFailed, std::move(why)}; }
ExpectationResult undetermined(std::string why) { return {nullptr, Verdict::kUndetermined, std::move(why)}; }

std::string outcomes_text(const TxRecord& tx) {
  std::vector<std::string> names;
  for (auto o : tx.outcomes) names.push_back(to_string(o));
  return names.empty() ? "no outcome" : fmt::format("{}", fmt::join(names, " or "));
}

ExpectationResult check_outcome(const TxRecord& tx, TxOutcome wanted) {
  const bool has = std::find(tx.outcomes.begin(), tx.outcomes.end(), wanted) != tx.outcomes.end();
  if (has && tx.outcomes.size() == 1) return held(fmt::format("{} was {}", tx.label, to_string(wanted)));
  if (has) return undetermined(fmt::format("{} was {}: timing decides", tx.label, outcomes_text(tx)));
  return failed(fmt::format("{} was {}, expected {}", tx.label, outcomes_text(tx), to_string(wanted)));
}

// Looks up `label` on `node`; returns false with `why` set when it cannot be observed there.
bool presence_on(const RunResult& r, const std::string& node, const std::string& label, Presence* out,
                 std::string* why) {
  const NodeFinal* n = r.find_node(node);
  if (n == nullptr) {
    *why = fmt::format("node {} does not exist at the end of the run", node);
    return false;
  }
  auto it = n->presence.find(label);
  if (it == n->presence.end()) {
    *why = fmt::format("{} cannot be observed on {} (it is {})", label, node, to_string(n->state));
    return false;
  }
  *out = it->second;
  return true;
}

ExpectationResult check_presence(const RunResult& r, const Expectation& e, const std::string& node) {
  Presence p{};
  std::string why;
  if (!presence_on(r, node, e.label, &p, &why)) return failed(why);
  const Presence wanted = e.kind == ExpectKind::kAbsent ? Presence::kAbsent : Presence::kPresent;
  if (p == Presence::kEither)
    return undetermined(fmt::format("{} may or may not be on {}: timing decides", e.label, node));
  if (p == wanted) return held(fmt::format("{} is {} on {}", e.label, to_string(p), node));
  return failed(fmt::format("{} is {} on {}, expected {}", e.label, to_string(p), node, to_string(wanted)));
}

ExpectationResult check_lost(const RunResult& r, const TxRecord& tx, const std::string& node) {
  ExpectationResult ack = check_outcome(tx, TxOutcome::kAcknowledged);
  if (ack.verdict != Verdict::kHeld)
    return {nullptr, ack.verdict, fmt::format("lost needs an acknowledged commit: {}", ack.explanation)};
  Presence p{};
  std::string why;
  if (!presence_on(r, node, tx.label, &p, &why)) return failed(why);
  if (p == Presence::kEither)
    return undetermined(fmt::format("{} may or may not be on {}: timing decides", tx.label, node));
  if (p == Presence::kAbsent) return held(fmt::format("{} was acknowledged, yet is absent on {}", tx.label, node));
  return failed(fmt::format("{} was acknowledged and is present on {}: nothing was lost", tx.label, node));
}

ExpectationResult check_lag(const RunResult& r, const Expectation& e) {
  const LagMeasure* lag = r.find_lag(e.name);
  if (lag == nullptr) return failed(fmt::format("lag check {} was not measured", e.name));
  const int64_t bytes = lag->replay_lag_bytes;
  if (e.lag_bytes_min && bytes < *e.lag_bytes_min)
    return failed(fmt::format("{}: replay lag {} bytes, expected at least {}", e.name, bytes, *e.lag_bytes_min));
  if (e.lag_bytes_max && bytes > *e.lag_bytes_max)
    return failed(fmt::format("{}: replay lag {} bytes, expected at most {}", e.name, bytes, *e.lag_bytes_max));
  if (e.lag_transactions && lag->transactions != *e.lag_transactions)
    return failed(
        fmt::format("{}: {} transactions behind, expected {}", e.name, lag->transactions, *e.lag_transactions));
  if (e.failover_loses_data && lag->failover_loses_data != *e.failover_loses_data)
    return failed(fmt::format("{}: failover would {}lose data, expected the opposite", e.name,
                              lag->failover_loses_data ? "" : "not "));
  return held(fmt::format("{}: {} bytes and {} transactions behind; failover {} data", e.name, bytes, lag->transactions,
                          lag->failover_loses_data ? "loses" : "loses no"));
}

// `error: CONDITION` with `step:`: the server refused that step with an ERROR of that SQLSTATE.
ExpectationResult check_step_error(const RunResult& r, const Expectation& e) {
  const StepResult* s = r.find_step(e.step);
  if (s == nullptr) return failed(fmt::format("step {} ({}) did not run", e.step + 1, e.step_ref));
  if (s->timing_decides) return undetermined(fmt::format("whether step {} is refused depends on timing", e.step + 1));
  if (!s->refused)
    return failed(fmt::format("step {} ({}) was accepted, expected ERROR {}", e.step + 1, s->text, e.sqlstate));
  if (s->sqlstate != e.sqlstate)
    return failed(fmt::format("step {} ({}) was refused with {} ({}), expected {}", e.step + 1, s->text, s->sqlstate,
                              s->message, e.sqlstate));
  return held(fmt::format("step {} ({}) was refused: ERROR {}: {}", e.step + 1, s->text, s->sqlstate, s->message));
}

ExpectationResult check_count(const RunResult& r, const Expectation& e, const std::string& node) {
  const bool lost = e.kind == ExpectKind::kLostCount;
  const CountRange c = lost ? lost_range(r, node, e.label) : present_range(r, node, e.label);
  if (!c.observable) return failed(fmt::format("{} cannot be observed at the end of the run", node));
  const std::string what = fmt::format("{} on {}{}", lost ? "acknowledged and lost" : "present", node,
                                       e.label.empty() ? "" : fmt::format(" (of {})", e.label));
  const std::string range = c.min == c.max ? fmt::format("{} of {}", c.min, c.of)
                                           : fmt::format("between {} and {} of {}", c.min, c.max, c.of);
  const std::string wanted = fmt::format("between {} and {}", e.count_min, e.count_max);
  if (c.min >= e.count_min && c.max <= e.count_max) return held(fmt::format("{}: {}", what, range));
  if (c.max < e.count_min || c.min > e.count_max)
    return failed(fmt::format("{}: {}, expected {}", what, range, wanted));
  return undetermined(fmt::format("{}: {}, expected {}: timing decides", what, range, wanted));
}

// What a result does not say: a prediction leaves it to timing (undetermined); a history could
// not observe it (failed: an expectation is never held by what nobody saw).
ExpectationResult not_known(const RunResult& r, std::string why) {
  return r.source == "simulator" ? undetermined(std::move(why)) : failed(std::move(why));
}

ExpectationResult check_sync_state(const RunResult& r, const Expectation& e, const std::string& node) {
  const NodePosition* pos = nullptr;
  if (!r.timeline.empty())
    for (const auto& p : r.timeline.back().positions)
      if (p.node == node) pos = &p;
  if (pos == nullptr || !pos->sync_priority)
    return not_known(r, fmt::format("pg_stat_replication's row for {} at the end is not known", node));
  const std::string seen = pos->sync_state.empty() ? "no row" : pos->sync_state;
  if (pos->sync_state != e.sync_state)
    return failed(fmt::format("pg_stat_replication shows {}: {}, expected {}", node, seen, e.sync_state));
  if (e.sync_priority && *pos->sync_priority != *e.sync_priority)
    return failed(fmt::format("{} has sync_priority {}, expected {}", node, *pos->sync_priority, *e.sync_priority));
  return held(fmt::format("{} is {} (priority {}) in pg_stat_replication", node, seen, *pos->sync_priority));
}

// state:, timeline: and sync_state: at the end of the run.
ExpectationResult check_state(const RunResult& r, const Expectation& e, const std::string& node) {
  if (e.kind == ExpectKind::kSyncState) return check_sync_state(r, e, node);
  const NodeFinal* n = r.find_node(node);
  if (n == nullptr) return failed(fmt::format("node {} does not exist", node));
  if (!n->server_state) return not_known(r, fmt::format("the server state of {} at the end is not known", node));
  const std::string state = to_string(*n->server_state);
  if (e.kind == ExpectKind::kState) {
    if (state == e.server_state) return held(fmt::format("{} ended {}", node, state));
    return failed(fmt::format("{} ended {}, expected {}", node, state, e.server_state));
  }
  if (!server_answers(*n->server_state))
    return failed(fmt::format("{} ended {}: its timeline cannot be read", node, state));
  if (static_cast<int64_t>(n->timeline) == e.timeline)
    return held(fmt::format("{} ended on timeline {}", node, n->timeline));
  return failed(fmt::format("{} ended on timeline {}, expected {}", node, n->timeline, e.timeline));
}

ExpectationResult check_one(const Scenario& s, const RunResult& r, const Expectation& e) {
  const std::string node = e.node.empty() ? final_primary(s, r) : e.node;
  switch (e.kind) {
    case ExpectKind::kRows: {
      const NodeFinal* n = r.find_node(node);
      if (n == nullptr || !n->row_counts.count(e.table))
        return failed(fmt::format("rows of {} cannot be counted on {}", e.table, node));
      const int64_t count = n->row_counts.at(e.table);
      if (count == e.count) return held(fmt::format("{} holds {} rows on {}", e.table, count, node));
      return failed(fmt::format("{} holds {} rows on {}, expected {}", e.table, count, node, e.count));
    }
    case ExpectKind::kLag: return check_lag(r, e);
    case ExpectKind::kError: {
      const NodeFinal* n = r.find_node(node);
      if (n == nullptr) return failed(fmt::format("node {} does not exist", node));
      if (n->error == e.error) return held(fmt::format("{} ended with {}", node, e.error));
      return failed(
          fmt::format("{} ended with {}, expected {}", node, n->error.empty() ? "no error" : n->error, e.error));
    }
    case ExpectKind::kStepError: return check_step_error(r, e);
    case ExpectKind::kLostCount:
    case ExpectKind::kPresentCount: return check_count(r, e, node);
    case ExpectKind::kState:
    case ExpectKind::kTimeline:
    case ExpectKind::kSyncState: return check_state(r, e, node);
    // The rest judge one transaction: below.
    case ExpectKind::kLost:
    case ExpectKind::kPresent:
    case ExpectKind::kAbsent:
    case ExpectKind::kAcknowledged:
    case ExpectKind::kBlocks:
    case ExpectKind::kCancelled:
    case ExpectKind::kFailed:
    case ExpectKind::kInDoubt: break;
  }
  const TxRecord* tx = r.find_tx(e.label);
  if (tx == nullptr) return failed(fmt::format("{} never ran", e.label));
  switch (e.kind) {
    case ExpectKind::kLost: return check_lost(r, *tx, node);
    case ExpectKind::kPresent:
    case ExpectKind::kAbsent: return check_presence(r, e, node);
    case ExpectKind::kAcknowledged: return check_outcome(*tx, TxOutcome::kAcknowledged);
    case ExpectKind::kCancelled: return check_outcome(*tx, TxOutcome::kCancelled);
    case ExpectKind::kFailed: return check_outcome(*tx, TxOutcome::kFailed);
    case ExpectKind::kInDoubt: return check_outcome(*tx, TxOutcome::kInDoubt);
    case ExpectKind::kBlocks:
      if (tx->waited_for_sync) return held(fmt::format("{}'s commit waited for synchronous replication", tx->label));
      return failed(fmt::format("{}'s commit never waited for synchronous replication (it was {})", tx->label,
                                outcomes_text(*tx)));
    case ExpectKind::kRows:
    case ExpectKind::kLag:
    case ExpectKind::kError:
    case ExpectKind::kStepError: break;  // Judged above.
    case ExpectKind::kLostCount:
    case ExpectKind::kPresentCount: break;  // Judged above.
    case ExpectKind::kState:
    case ExpectKind::kTimeline:
    case ExpectKind::kSyncState: break;  // Judged above.
  }
  return failed("unknown expectation");
}

}  // namespace

std::string final_primary(const Scenario& scenario, const RunResult& result) {
  std::string primary = scenario.cluster.nodes.empty() ? "" : scenario.cluster.nodes[0].name;
  for (const auto& step : scenario.steps) {
    const bool restored_primary = step.kind == StepKind::kRestore &&
                                  (step.target.action == RecoveryTarget::Action::kPromote ||
                                   scenario.restores_naive_copy(step));
    if (step.kind != StepKind::kPromote && !restored_primary) continue;
    // A promotion the server refused (pg_promote() on a primary) made no primary.
    const StepResult* refused = result.find_step(static_cast<int>(&step - scenario.steps.data()));
    if (refused != nullptr && refused->refused) continue;
    const NodeFinal* n = result.find_node(step.node);
    if (n == nullptr || n->error.empty()) primary = step.node;  // A restore that failed made no primary.
  }
  return primary;
}

namespace {

bool has(const TxRecord& tx, TxOutcome o) {
  return std::find(tx.outcomes.begin(), tx.outcomes.end(), o) != tx.outcomes.end();
}

// Counts the transactions of `group` for which `certain` / `possible` hold, given their presence on `node`.
template <typename Certain, typename Possible>
CountRange count_range(const RunResult& r, const std::string& node, const std::string& group, Certain certain,
                       Possible possible) {
  CountRange c;
  const NodeFinal* n = r.find_node(node);
  c.observable = n != nullptr && !n->presence.empty();
  for (const TxRecord& tx : r.transactions) {
    if (!in_group(tx.label, group)) continue;
    ++c.of;
    if (n == nullptr) continue;
    auto it = n->presence.find(tx.label);
    if (it == n->presence.end()) continue;
    if (certain(tx, it->second)) ++c.min;
    if (possible(tx, it->second)) ++c.max;
  }
  return c;
}

}  // namespace

CountRange lost_range(const RunResult& result, const std::string& node, const std::string& group) {
  return count_range(
      result, node, group,
      [](const TxRecord& tx, Presence p) {
        return tx.outcomes.size() == 1 && tx.outcomes[0] == TxOutcome::kAcknowledged && p == Presence::kAbsent;
      },
      [](const TxRecord& tx, Presence p) { return has(tx, TxOutcome::kAcknowledged) && p != Presence::kPresent; });
}

CountRange present_range(const RunResult& result, const std::string& node, const std::string& group) {
  return count_range(
      result, node, group, [](const TxRecord&, Presence p) { return p == Presence::kPresent; },
      [](const TxRecord&, Presence p) { return p != Presence::kAbsent; });
}

std::string loss_summary(const Scenario& scenario, const RunResult& result) {
  const std::string node = final_primary(scenario, result);
  const CountRange c = lost_range(result, node, "");
  if (!c.observable || c.of == 0) return "";
  if (c.min == c.max) return fmt::format("acknowledged and lost on {}: {} of {}", node, c.min, c.of);
  return fmt::format("acknowledged and lost on {}: between {} and {} of {}", node, c.min, c.max, c.of);
}

std::vector<ExpectationResult> check_expectations(const Scenario& scenario, const RunResult& result) {
  std::vector<ExpectationResult> out;
  for (const auto& e : scenario.expectations) {
    ExpectationResult r = check_one(scenario, result, e);
    r.expectation = &e;
    out.push_back(std::move(r));
  }
  return out;
}

bool all_held(const std::vector<ExpectationResult>& results) {
  return std::all_of(results.begin(), results.end(), [](const auto& r) { return r.verdict == Verdict::kHeld; });
}

}  // namespace replsim
