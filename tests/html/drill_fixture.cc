#include "drill_fixture.h"

#include <cstdio>
#include <cstdlib>

#include "vocab/scenario_parser.h"

namespace replsim::testing {
namespace {

NodePosition primary_at(const std::string& state, uint64_t lsn, TimelineId timeline = 1) {
  NodePosition p;
  p.node = "primary";
  p.state = state;
  p.timeline = timeline;
  p.insert_lsn = p.flush_lsn = Lsn{lsn};
  return p;
}

NodePosition replica_at(const std::string& state, uint64_t write, uint64_t replay, TimelineId timeline = 1) {
  NodePosition p;
  p.node = "replica";
  p.state = state;
  p.timeline = timeline;
  if (state == "primary") {
    p.insert_lsn = p.flush_lsn = Lsn{replay};
  } else {
    p.write_lsn = Lsn{write};
    p.replay_lsn = Lsn{replay};
    p.sync_state = "async";
  }
  return p;
}

}  // namespace

std::string source_path(const std::string& relative) {
  const char* dir = std::getenv("REPLSIM_SOURCE_DIR");
  return std::string(dir != nullptr ? dir : REPLSIM_TEST_SOURCE_DIR) + "/" + relative;
}

Scenario drill_2_1_scenario() {
  auto parsed = parse_scenario_file(source_path("scenarios/drill-2.1-replication-lag.yaml"));
  if (!parsed.ok()) {
    std::fprintf(stderr, "drill 2.1 does not parse: %s\n", parsed.status().message().c_str());
    std::abort();
  }
  Scenario scenario = parsed.value();
  scenario.file = "scenarios/drill-2.1-replication-lag.yaml";  // As the pages show it, whatever the checkout.
  return scenario;
}

RunResult drill_2_1_result(const std::string& source, uint64_t lsn_base, int64_t time_scale_us) {
  const uint64_t caught_up = lsn_base, charlie = lsn_base + 0xB8, promoted = lsn_base + 0x78;
  RunResult r;
  r.scenario = "drill-2.1-replication-lag";
  r.file = "scenarios/drill-2.1-replication-lag.yaml";
  r.source = source;
  r.seed = source.find("observ") != std::string::npos || source == "postgresql" ? 0 : 1;  // Real runs have none.
  const std::vector<std::pair<std::vector<NodePosition>, std::vector<std::string>>> steps = {
      {{primary_at("primary", caught_up), replica_at("standby", caught_up, caught_up)}, {"replica replayed all WAL"}},
      {{primary_at("primary", caught_up), replica_at("standby", caught_up, caught_up)}, {"replication link cut"}},
      {{primary_at("primary", charlie), replica_at("standby", caught_up, caught_up)},
       {"charlie acknowledged: flushed on primary, no synchronous standby to wait for"}},
      {{primary_at("primary", charlie), replica_at("standby", caught_up, caught_up)},
       {"replica is 184 bytes and 1 commit behind"}},
      {{primary_at("crashed", charlie), replica_at("standby", caught_up, caught_up)}, {"primary crashed"}},
      {{primary_at("crashed", charlie), replica_at("standby", caught_up, caught_up)},
       {"link healed, but nothing streams from a crashed primary"}},
      {{primary_at("crashed", charlie), replica_at("primary", promoted, promoted, 2)},
       {"replica promoted to timeline 2 without charlie"}},
  };
  for (size_t i = 0; i < steps.size(); ++i) {
    TimelineEntry e;
    e.step = static_cast<int>(i);
    e.time_us = static_cast<int64_t>(i + 1) * time_scale_us * 4;
    e.positions = steps[i].first;
    e.notes = steps[i].second;
    r.timeline.push_back(e);
  }
  TxRecord tx;
  tx.label = "charlie";
  tx.step = 2;
  tx.node = "primary";
  tx.outcomes = {TxOutcome::kAcknowledged};
  tx.xid = 741;
  tx.commit_lsn = Lsn{charlie};
  tx.commit_time_us = 3 * time_scale_us * 4;
  tx.detail = "asynchronous: synchronous_standby_names is empty";
  r.transactions.push_back(tx);
  r.events.push_back(
      {HistoryEvent::Type::kFault, 2 * time_scale_us * 4, "nemesis", "replica", "partition replica", 0, Lsn{}, 0, ""});
  r.events.push_back(
      {HistoryEvent::Type::kInvoke, 3 * time_scale_us * 4 - 10, "client", "primary", "charlie", 0, Lsn{}, 0, ""});
  r.events.push_back({HistoryEvent::Type::kOk, 3 * time_scale_us * 4, "client", "primary", "charlie", 741, Lsn{charlie},
                      tx.commit_time_us, ""});
  r.lags.push_back({"before_failover",
                    "replica",
                    Lsn{charlie},
                    Lsn{caught_up},
                    Lsn{caught_up},
                    static_cast<int64_t>(charlie - caught_up),
                    static_cast<int64_t>(charlie - caught_up),
                    1,
                    true,
                    {"charlie"}});
  NodeFinal primary{
      "primary",    NodeState::kCrashed, 1, {{"charlie", Presence::kPresent}}, {}, "", "", ServerState::kCrashed,
      std::nullopt, std::nullopt};
  NodeFinal replica{"replica",
                    NodeState::kPrimary,
                    2,
                    {{"charlie", Presence::kAbsent}},
                    {{"customers", 5}},
                    "",
                    "",
                    ServerState::kPrimary,
                    std::nullopt,
                    std::nullopt};
  r.nodes = {primary, replica};
  r.notes = {
      "charlie was acknowledged on primary while replica was partitioned; replica was promoted without it: "
      "1 acknowledged transaction lost."};
  return r;
}

}  // namespace replsim::testing
