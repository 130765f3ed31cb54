#include "vocab/run_result.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "vocab/assert.h"

namespace replsim {

using nlohmann::json;

const char* to_string(TxOutcome outcome) {
  switch (outcome) {
    case TxOutcome::kAcknowledged: return "acknowledged";
    case TxOutcome::kFailed: return "failed";
    case TxOutcome::kBlocked: return "blocked";
    case TxOutcome::kCancelled: return "cancelled";
    case TxOutcome::kInDoubt: return "in_doubt";
  }
  return "?";
}

const char* to_string(Presence presence) {
  switch (presence) {
    case Presence::kPresent: return "present";
    case Presence::kAbsent: return "absent";
    case Presence::kEither: return "either";
  }
  return "?";
}

const char* to_string(NodeState state) {
  switch (state) {
    case NodeState::kPrimary: return "primary";
    case NodeState::kStandby: return "standby";
    case NodeState::kPaused: return "paused";
    case NodeState::kCrashed: return "crashed";
    case NodeState::kStopped: return "stopped";
    case NodeState::kWiped: return "wiped";
    case NodeState::kRestoring: return "restoring";
  }
  return "?";
}

const char* to_string(ServerState state) {
  switch (state) {
    case ServerState::kPrimary: return "primary";
    case ServerState::kStandby: return "standby";
    case ServerState::kArchiveRecovery: return "archive_recovery";
    case ServerState::kPausedAtTarget: return "paused_at_target";
    case ServerState::kShutdownAtTarget: return "shutdown_at_target";
    case ServerState::kStopped: return "stopped";
    case ServerState::kCrashed: return "crashed";
    case ServerState::kFailedToStart: return "failed_to_start";
    case ServerState::kSuspended: return "suspended";
    case ServerState::kWiped: return "wiped";
    case ServerState::kReplayPaused: return "replay_paused";
  }
  return "?";
}

const std::vector<ServerState>& server_states() {
  static const std::vector<ServerState> all = {
      ServerState::kPrimary,        ServerState::kStandby,          ServerState::kArchiveRecovery,
      ServerState::kPausedAtTarget, ServerState::kShutdownAtTarget, ServerState::kStopped,
      ServerState::kCrashed,        ServerState::kFailedToStart,    ServerState::kSuspended,
      ServerState::kWiped,          ServerState::kReplayPaused};
  return all;
}

std::optional<ServerState> parse_server_state(std::string_view text) {
  for (auto s : server_states())
    if (text == to_string(s)) return s;
  return std::nullopt;
}

int64_t lag_bytes(Lsn ahead, Lsn behind) {
  return ahead.value > behind.value ? static_cast<int64_t>(ahead.value - behind.value) : 0;
}

void set_final_lags(const TimelineEntry& last, const std::string& primary, NodeFinal& f) {
  f.receive_lag_bytes.reset();
  f.replay_lag_bytes.reset();
  const NodePosition* p = nullptr;
  const NodePosition* s = nullptr;
  for (const auto& pos : last.positions) {
    if (pos.node == primary) p = &pos;
    if (pos.node == f.name) s = &pos;
  }
  if (p == nullptr || s == nullptr || p == s || p->server_state != ServerState::kPrimary ||
      (s->server_state != ServerState::kStandby && s->server_state != ServerState::kReplayPaused))
    return;
  // Whatever a standby replayed it had received: after a restart PostgreSQL's
  // pg_last_wal_receive_lsn() is where streaming restarted (GetWalRcvFlushRecPtr), which can lie
  // before what crash recovery already replayed from the standby's own pg_wal.
  f.receive_lag_bytes = lag_bytes(p->flush_lsn, std::max(s->write_lsn, s->replay_lsn));
  f.replay_lag_bytes = lag_bytes(p->flush_lsn, s->replay_lsn);
}

bool server_answers(ServerState state) {
  return state == ServerState::kPrimary || state == ServerState::kStandby || state == ServerState::kArchiveRecovery ||
         state == ServerState::kPausedAtTarget || state == ServerState::kReplayPaused;
}

const char* to_string(HistoryEvent::Type type) {
  switch (type) {
    case HistoryEvent::Type::kInvoke: return "invoke";
    case HistoryEvent::Type::kOk: return "ok";
    case HistoryEvent::Type::kFail: return "fail";
    case HistoryEvent::Type::kInfo: return "info";
    case HistoryEvent::Type::kBlocked: return "blocked";
    case HistoryEvent::Type::kFault: return "fault";
  }
  return "?";
}

std::optional<TxOutcome> parse_tx_outcome(const std::string& text) {
  for (auto o :
       {TxOutcome::kAcknowledged, TxOutcome::kFailed, TxOutcome::kBlocked, TxOutcome::kCancelled, TxOutcome::kInDoubt})
    if (text == to_string(o)) return o;
  return std::nullopt;
}

std::optional<Presence> parse_presence(const std::string& text) {
  for (auto p : {Presence::kPresent, Presence::kAbsent, Presence::kEither})
    if (text == to_string(p)) return p;
  return std::nullopt;
}

std::optional<NodeState> parse_node_state(std::string_view text) {
  for (auto s : {NodeState::kPrimary, NodeState::kStandby, NodeState::kPaused, NodeState::kCrashed, NodeState::kStopped,
                 NodeState::kWiped, NodeState::kRestoring})
    if (text == to_string(s)) return s;
  return std::nullopt;
}

namespace {

std::optional<HistoryEvent::Type> parse_event_type(const std::string& text) {
  for (auto t : {HistoryEvent::Type::kInvoke, HistoryEvent::Type::kOk, HistoryEvent::Type::kFail,
                 HistoryEvent::Type::kInfo, HistoryEvent::Type::kBlocked, HistoryEvent::Type::kFault})
    if (text == to_string(t)) return t;
  return std::nullopt;
}

json position_json(const NodePosition& p) {
  json j = {{"node", p.node},
            {"state", p.state},
            {"timeline", p.timeline},
            {"insert_lsn", p.insert_lsn.to_string()},
            {"flush_lsn", p.flush_lsn.to_string()},
            {"write_lsn", p.write_lsn.to_string()},
            {"replay_lsn", p.replay_lsn.to_string()},
            {"sync_state", p.sync_state}};
  if (p.server_state) j["server_state"] = to_string(*p.server_state);
  if (p.sync_priority) j["sync_priority"] = *p.sync_priority;
  return j;
}

json tx_json(const TxRecord& t) {
  json outcomes = json::array();
  for (auto o : t.outcomes) outcomes.push_back(to_string(o));
  return {{"label", t.label},
          {"step", t.step},
          {"node", t.node},
          {"outcomes", outcomes},
          {"xid", t.xid},
          {"commit_lsn", t.commit_lsn.to_string()},
          {"commit_time_us", t.commit_time_us},
          {"timeline", t.timeline},
          {"waited_for_sync", t.waited_for_sync},
          {"detail", t.detail}};
}

json lag_json(const LagMeasure& l) {
  return {{"name", l.name},
          {"standby", l.standby},
          {"primary_lsn", l.primary_lsn.to_string()},
          {"receive_lsn", l.receive_lsn.to_string()},
          {"replay_lsn", l.replay_lsn.to_string()},
          {"receive_lag_bytes", l.receive_lag_bytes},
          {"replay_lag_bytes", l.replay_lag_bytes},
          {"transactions", l.transactions},
          {"failover_loses_data", l.failover_loses_data},
          {"at_risk", l.at_risk}};
}

json node_json(const NodeFinal& n) {
  json presence = json::object();
  for (const auto& [label, p] : n.presence) presence[label] = to_string(p);
  json j = {{"name", n.name},
            {"state", to_string(n.state)},
            {"timeline", n.timeline},
            {"presence", presence},
            {"row_counts", n.row_counts},
            {"error", n.error},
            {"error_detail", n.error_detail}};
  if (n.server_state) j["server_state"] = to_string(*n.server_state);
  if (n.receive_lag_bytes) j["receive_lag_bytes"] = *n.receive_lag_bytes;
  if (n.replay_lag_bytes) j["replay_lag_bytes"] = *n.replay_lag_bytes;
  return j;
}

json event_json(const HistoryEvent& e) {
  return {{"type", to_string(e.type)}, {"time_us", e.time_us},
          {"process", e.process},      {"node", e.node},
          {"label", e.label},          {"xid", e.xid},
          {"lsn", e.lsn.to_string()},  {"commit_time_us", e.commit_time_us},
          {"detail", e.detail}};
}

json step_json(const StepResult& s) {
  return {{"step", s.step},         {"text", s.text},       {"refused", s.refused},
          {"sqlstate", s.sqlstate}, {"message", s.message}, {"timing_decides", s.timing_decides}};
}

// Reading: every field is required to be of the right type; a wrong one is reported by path.
struct Bad {
  std::string what;
};

// The optional "server_state" of a position or node: absent in runs recorded before it was.
std::optional<ServerState> server_state_at(const json& j) {
  if (!j.contains("server_state")) return std::nullopt;
  const std::string word = j.at("server_state").get<std::string>();
  const std::optional<ServerState> state = parse_server_state(word);
  if (!state) throw Bad{"unknown server state '" + word + "'"};
  return state;
}

Lsn lsn_at(const json& j, const char* key) {
  auto lsn = Lsn::parse(j.at(key).get<std::string>());
  if (!lsn) throw Bad{std::string("'") + key + "' is not an LSN"};
  return *lsn;
}

NodePosition read_position(const json& j) {
  NodePosition p;
  p.node = j.at("node").get<std::string>();
  p.state = j.at("state").get<std::string>();
  p.timeline = j.at("timeline").get<TimelineId>();
  p.insert_lsn = lsn_at(j, "insert_lsn");
  p.flush_lsn = lsn_at(j, "flush_lsn");
  p.write_lsn = lsn_at(j, "write_lsn");
  p.replay_lsn = lsn_at(j, "replay_lsn");
  p.sync_state = j.at("sync_state").get<std::string>();
  p.server_state = server_state_at(j);
  if (j.contains("sync_priority")) p.sync_priority = j.at("sync_priority").get<int>();
  return p;
}

TxRecord read_tx(const json& j) {
  TxRecord t;
  t.label = j.at("label").get<std::string>();
  t.step = j.at("step").get<int>();
  t.node = j.at("node").get<std::string>();
  for (const auto& o : j.at("outcomes")) {
    auto outcome = parse_tx_outcome(o.get<std::string>());
    if (!outcome) throw Bad{"unknown outcome '" + o.get<std::string>() + "'"};
    t.outcomes.push_back(*outcome);
  }
  t.xid = j.at("xid").get<Xid>();
  t.commit_lsn = lsn_at(j, "commit_lsn");
  t.commit_time_us = j.at("commit_time_us").get<int64_t>();
  t.timeline = j.at("timeline").get<TimelineId>();
  t.waited_for_sync = j.at("waited_for_sync").get<bool>();
  t.detail = j.at("detail").get<std::string>();
  return t;
}

LagMeasure read_lag(const json& j) {
  LagMeasure l;
  l.name = j.at("name").get<std::string>();
  l.standby = j.at("standby").get<std::string>();
  l.primary_lsn = lsn_at(j, "primary_lsn");
  l.receive_lsn = lsn_at(j, "receive_lsn");
  l.replay_lsn = lsn_at(j, "replay_lsn");
  l.receive_lag_bytes = j.at("receive_lag_bytes").get<int64_t>();
  l.replay_lag_bytes = j.at("replay_lag_bytes").get<int64_t>();
  l.transactions = j.at("transactions").get<int64_t>();
  l.failover_loses_data = j.at("failover_loses_data").get<bool>();
  l.at_risk = j.at("at_risk").get<std::vector<std::string>>();
  return l;
}

NodeFinal read_node(const json& j) {
  NodeFinal n;
  n.name = j.at("name").get<std::string>();
  const std::string state = j.at("state").get<std::string>();
  const std::optional<NodeState> parsed = parse_node_state(state);
  if (!parsed) throw Bad{"unknown node state '" + state + "'"};
  n.state = *parsed;
  n.timeline = j.at("timeline").get<TimelineId>();
  for (const auto& [label, p] : j.at("presence").items()) {
    auto presence = parse_presence(p.get<std::string>());
    if (!presence) throw Bad{"unknown presence '" + p.get<std::string>() + "'"};
    n.presence[label] = *presence;
  }
  n.row_counts = j.at("row_counts").get<std::map<std::string, int64_t>>();
  n.error = j.at("error").get<std::string>();
  n.error_detail = j.at("error_detail").get<std::string>();
  n.server_state = server_state_at(j);
  if (j.contains("receive_lag_bytes")) n.receive_lag_bytes = j.at("receive_lag_bytes").get<int64_t>();
  if (j.contains("replay_lag_bytes")) n.replay_lag_bytes = j.at("replay_lag_bytes").get<int64_t>();
  return n;
}

HistoryEvent read_event(const json& j) {
  HistoryEvent e;
  auto type = parse_event_type(j.at("type").get<std::string>());
  if (!type) throw Bad{"unknown event type '" + j.at("type").get<std::string>() + "'"};
  e.type = *type;
  e.time_us = j.at("time_us").get<int64_t>();
  e.process = j.at("process").get<std::string>();
  e.node = j.at("node").get<std::string>();
  e.label = j.at("label").get<std::string>();
  e.xid = j.at("xid").get<Xid>();
  e.lsn = lsn_at(j, "lsn");
  e.commit_time_us = j.at("commit_time_us").get<int64_t>();
  e.detail = j.at("detail").get<std::string>();
  return e;
}

StepResult read_step(const json& j) {
  StepResult s;
  s.step = j.at("step").get<int>();
  s.text = j.at("text").get<std::string>();
  s.refused = j.at("refused").get<bool>();
  s.sqlstate = j.at("sqlstate").get<std::string>();
  s.message = j.at("message").get<std::string>();
  s.timing_decides = j.at("timing_decides").get<bool>();
  return s;
}

}  // namespace

const StepResult* RunResult::find_step(int step) const {
  for (const auto& s : steps)
    if (s.step == step) return &s;
  return nullptr;
}

const TxRecord* RunResult::find_tx(const std::string& label) const {
  for (const auto& t : transactions)
    if (t.label == label) return &t;
  return nullptr;
}

const NodeFinal* RunResult::find_node(const std::string& name) const {
  for (const auto& n : nodes)
    if (n.name == name) return &n;
  return nullptr;
}

const LagMeasure* RunResult::find_lag(const std::string& name) const {
  for (const auto& l : lags)
    if (l.name == name) return &l;
  return nullptr;
}

json to_json(const RunResult& r) {
  json j = {{"schema", "replsim.run_result/1"},
            {"scenario", r.scenario},
            {"file", r.file},
            {"source", r.source},
            {"seed", r.seed},
            {"notes", r.notes}};
  j["events"] = json::array();
  for (const auto& e : r.events) j["events"].push_back(event_json(e));
  j["timeline"] = json::array();
  for (const auto& t : r.timeline) {
    json positions = json::array();
    for (const auto& p : t.positions) positions.push_back(position_json(p));
    j["timeline"].push_back(
        {{"step", t.step}, {"time_us", t.time_us}, {"text", t.text}, {"positions", positions}, {"notes", t.notes}});
  }
  j["transactions"] = json::array();
  for (const auto& t : r.transactions) j["transactions"].push_back(tx_json(t));
  j["lags"] = json::array();
  for (const auto& l : r.lags) j["lags"].push_back(lag_json(l));
  j["nodes"] = json::array();
  for (const auto& n : r.nodes) j["nodes"].push_back(node_json(n));
  j["steps"] = json::array();
  for (const auto& s : r.steps) j["steps"].push_back(step_json(s));
  return j;
}

Result<RunResult> run_result_from_json(const json& j) {
  try {
    if (j.at("schema").get<std::string>() != "replsim.run_result/1")
      return Status::InvalidInput("unknown run result schema");
    RunResult r;
    r.scenario = j.at("scenario").get<std::string>();
    r.file = j.at("file").get<std::string>();
    r.source = j.at("source").get<std::string>();
    r.seed = j.at("seed").get<uint64_t>();
    r.notes = j.at("notes").get<std::vector<std::string>>();
    for (const auto& e : j.at("events")) r.events.push_back(read_event(e));
    for (const auto& t : j.at("timeline")) {
      TimelineEntry entry;
      entry.step = t.at("step").get<int>();
      entry.time_us = t.at("time_us").get<int64_t>();
      entry.text = t.at("text").get<std::string>();
      for (const auto& p : t.at("positions")) entry.positions.push_back(read_position(p));
      entry.notes = t.at("notes").get<std::vector<std::string>>();
      r.timeline.push_back(std::move(entry));
    }
    for (const auto& t : j.at("transactions")) r.transactions.push_back(read_tx(t));
    for (const auto& l : j.at("lags")) r.lags.push_back(read_lag(l));
    for (const auto& n : j.at("nodes")) r.nodes.push_back(read_node(n));
    // Runs stored before step results were recorded have none.
    if (j.contains("steps"))
      for (const auto& s : j.at("steps")) r.steps.push_back(read_step(s));
    return r;
  } catch (const json::exception& e) {
    return Status::InvalidInput(std::string("malformed run result: ") + e.what());
  } catch (const Bad& e) {
    return Status::InvalidInput("malformed run result: " + e.what);
  }
}

}  // namespace replsim
