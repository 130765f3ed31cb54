#include "vocab/scenario_parser.h"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "vocab/assert.h"
#include "vocab/dataset.h"
#include "vocab/run_result.h"
#include "vocab/sqlstate.h"

namespace replsim {
namespace {

// The first problem found ends the parse. It travels as an exception inside this file
// only (yaml-cpp reports with exceptions too) and leaves it as a Status.
struct ParseError {
  SourcePos pos;
  std::string message;
};

SourcePos pos_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {};
  return {mark.line + 1, mark.column + 1};
}

// resolve_scenario()'s refusal, already "file:line:column: ...".
struct Unresolved {
  Status status;
};

[[noreturn]] void fail(SourcePos pos, std::string message) { throw ParseError{pos, std::move(message)}; }
[[noreturn]] void fail(const YAML::Node& at, std::string message) { fail(pos_of(at), std::move(message)); }

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool is_identifier(const std::string& s) {
  if (s.empty() || s.size() > 63 || !(std::islower(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
}

std::string scalar(const YAML::Node& node, const char* what) {
  if (!node.IsScalar()) fail(node, fmt::format("expected {} (a single value)", what));
  // PostgreSQL can hold no NUL in any text, and no setting or name needs one.
  if (node.Scalar().find('\0') != std::string::npos) fail(node, fmt::format("{} holds a NUL character", what));
  return node.Scalar();
}

// A value that becomes a setting, a name or a file name: no control characters at all (the
// harness would refuse them in postgresql.conf later, after the simulator had accepted them).
std::string plain_text(const YAML::Node& node, const char* what) {
  std::string s = scalar(node, what);
  for (const char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      fail(node, fmt::format("{} holds a control character (code {})", what, static_cast<int>(c)));
  // The C1 controls U+0080 to U+009F (UTF-8 C2 80 to C2 9F; U+009B is a terminal's CSI).
  for (size_t i = 0; i + 1 < s.size(); ++i)
    if (static_cast<unsigned char>(s[i]) == 0xc2 && static_cast<unsigned char>(s[i + 1]) <= 0x9f &&
        static_cast<unsigned char>(s[i + 1]) >= 0x80)
      fail(node, fmt::format("{} holds a control character (code {})", what, static_cast<unsigned char>(s[i + 1])));
  return s;
}

std::string identifier(const YAML::Node& node, const char* what) {
  std::string s = scalar(node, what);
  if (!is_identifier(s))
    fail(node,
         fmt::format("expected {}: lower-case letters, digits and '_', starting with a letter; got '{}'", what, s));
  return s;
}

bool boolean(const YAML::Node& node, const char* what) {
  const std::string s = lower(scalar(node, what));
  if (s == "true" || s == "on" || s == "yes") return true;
  if (s == "false" || s == "off" || s == "no") return false;
  fail(node, fmt::format("expected {} (true or false), got '{}'", what, s));
}

int64_t integer(const YAML::Node& node, const char* what) {
  const std::string s = scalar(node, what);
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size())
    fail(node, fmt::format("expected {} (a whole number), got '{}'", what, s));
  return v;
}

int64_t duration_us(const YAML::Node& node, const char* what) {
  auto d = parse_duration_us(scalar(node, what));
  if (!d.ok()) fail(node, fmt::format("expected {}: {}", what, d.status().message()));
  return *d;
}

int64_t size_bytes(const YAML::Node& node, const char* what) {
  auto d = parse_size_bytes(scalar(node, what));
  if (!d.ok()) fail(node, fmt::format("expected {}: {}", what, d.status().message()));
  return *d;
}

// recovery_min_apply_delay is a whole number of milliseconds in PostgreSQL (GUC_UNIT_MS): the
// scenario states it so, rather than have it rounded.
int64_t apply_delay_us(const YAML::Node& node) {
  const int64_t us = duration_us(node, "a standby's apply delay");
  if (us % 1000 != 0) fail(node, "expected a standby's apply delay in whole milliseconds (recovery_min_apply_delay)");
  return us;
}

// Every key of `map` must be in `allowed`.
void check_keys(const YAML::Node& map, const std::vector<std::string>& allowed, const std::string& context) {
  for (const auto& kv : map) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      fail(kv.first,
           fmt::format("unknown key '{}' in {}; expected one of: {}", key, context, fmt::join(allowed, ", ")));
    }
  }
}

enum class Arg { kLabel, kNode, kOptionalNode, kName, kDuration, kNone };

struct Verb {
  const char* word;
  StepKind kind;
  Arg arg;
  std::vector<std::string> modifiers;
};

// How each step kind is written. An exhaustive switch, so that a new StepKind does not compile
// until it has its line here (docs/architecture.md, "Adding a step kind").
Verb verb_of(StepKind kind) {
  switch (kind) {
    case StepKind::kInsert:
      return {"insert", kind, Arg::kLabel, {"table", "values", "node", "repeat", "load", "session"}};
    case StepKind::kUpdate: return {"update", kind, Arg::kLabel, {"table", "set", "where", "node"}};
    case StepKind::kDelete: return {"delete", kind, Arg::kLabel, {"table", "where", "node"}};
    case StepKind::kTruncate: return {"truncate", kind, Arg::kLabel, {"table", "cascade", "node"}};
    case StepKind::kMark: return {"mark", kind, Arg::kName, {"node"}};
    case StepKind::kCatchup: return {"catchup", kind, Arg::kOptionalNode, {}};
    case StepKind::kWait: return {"wait", kind, Arg::kDuration, {}};
    case StepKind::kCheckLag: return {"check_lag", kind, Arg::kName, {"node"}};
    case StepKind::kCancel: return {"cancel", kind, Arg::kLabel, {}};
    case StepKind::kPause: return {"pause", kind, Arg::kNode, {}};
    case StepKind::kResume: return {"resume", kind, Arg::kNode, {}};
    case StepKind::kPartition: return {"partition", kind, Arg::kNode, {"direction"}};
    case StepKind::kHeal: return {"heal", kind, Arg::kNode, {}};
    case StepKind::kCrash: return {"crash", kind, Arg::kNode, {}};
    case StepKind::kStop: return {"stop", kind, Arg::kNode, {}};
    case StepKind::kStart: return {"start", kind, Arg::kNode, {}};
    case StepKind::kWipe: return {"wipe", kind, Arg::kNode, {}};
    case StepKind::kPromote: return {"promote", kind, Arg::kNode, {}};
    case StepKind::kBaseBackup: return {"base_backup", kind, Arg::kName, {"node"}};
    case StepKind::kSwitchWal: return {"switch_wal", kind, Arg::kOptionalNode, {}};
    case StepKind::kRestorePoint: return {"restore_point", kind, Arg::kName, {"node"}};
    case StepKind::kRestore:
      return {"restore", kind, Arg::kNode, {"from", "target", "inclusive", "action", "timeline"}};
    case StepKind::kCheckpoint: return {"checkpoint", kind, Arg::kOptionalNode, {}};
    case StepKind::kNaiveCopy: return {"naive_copy", kind, Arg::kName, {"node", "files"}};
    case StepKind::kBreakArchive: return {"break_archive", kind, Arg::kNone, {}};
    case StepKind::kRepairArchive: return {"repair_archive", kind, Arg::kNone, {}};
    case StepKind::kStallDisk: return {"stall_disk", kind, Arg::kNode, {}};
    case StepKind::kOsCrash: return {"os_crash", kind, Arg::kNode, {}};
    case StepKind::kTerminate: return {"terminate", kind, Arg::kLabel, {}};
    case StepKind::kPauseReplay: return {"pause_replay", kind, Arg::kNode, {}};
    case StepKind::kResumeReplay: return {"resume_replay", kind, Arg::kNode, {}};
    case StepKind::kReload: return {"reload", kind, Arg::kNode, {"synchronous_standby_names"}};
    case StepKind::kBegin: return {"begin", kind, Arg::kLabel, {"node"}};
    case StepKind::kCommit: return {"commit", kind, Arg::kLabel, {}};
    case StepKind::kRollback: return {"rollback", kind, Arg::kLabel, {}};
  }
  ::replsim::assert_fail("kind", __FILE__, __LINE__, "a StepKind with no verb");
}

// Every verb, in StepKind's order (the order "expected one of" lists them in).
const std::vector<Verb>& verbs() {
  static const std::vector<Verb> table = [] {
    std::vector<Verb> all;
    for (int k = 0; k < kStepKindCount; ++k) all.push_back(verb_of(static_cast<StepKind>(k)));
    return all;
  }();
  return table;
}

std::vector<std::string> verb_words() {
  std::vector<std::string> words;
  for (const auto& v : verbs()) words.push_back(v.word);
  return words;
}

const std::vector<std::string>& expectation_words() {
  static const std::vector<std::string> words = {
      "lost", "present", "absent", "acknowledged", "blocks",        "cancelled", "failed",   "in_doubt",
      "rows", "lag",     "error",  "lost_count",   "present_count", "state",     "timeline", "sync_state"};
  return words;
}

const std::vector<std::string>& node_errors() {
  static const std::vector<std::string> errors = {"recovery_target_not_reached", "refuses_to_start", "cannot_catch_up"};
  return errors;
}

class Reader {
 public:
  explicit Reader(std::string file) { scenario_.file = std::move(file); }

  Scenario read(const YAML::Node& root) {
    if (!root.IsMap()) fail(root, "expected a scenario: a map with name, cluster, steps and expect");
    check_keys(root, {"name", "description", "cluster", "steps", "expect"}, "the scenario");
    if (!root["name"]) fail(root, "expected key 'name'");
    scenario_.name = plain_text(root["name"], "the scenario's name");
    if (scenario_.name.empty()) fail(root["name"], "the scenario's name is empty");
    if (root["description"]) scenario_.description = scalar(root["description"], "a description");
    if (!root["cluster"]) fail(root, "expected key 'cluster'");
    read_cluster(root["cluster"]);
    if (!root["steps"] || !root["steps"].IsSequence())
      fail(root["steps"] ? root["steps"] : root, "expected 'steps': a list of steps");
    for (const auto& step : root["steps"]) append_steps(step);
    if (root["expect"]) {
      if (!root["expect"].IsSequence()) fail(root["expect"], "expected 'expect': a list of expectations");
      for (const auto& e : root["expect"]) scenario_.expectations.push_back(read_expectation(e));
    }
    return std::move(scenario_);
  }

 private:
  void read_cluster(const YAML::Node& c) {
    ClusterSpec& cluster = scenario_.cluster;
    cluster.pos = pos_of(c);
    if (!c.IsMap()) fail(c, "expected 'cluster': a map with primary and standbys");
    check_keys(c,
               {"primary", "standbys", "synchronous_commit", "synchronous_standby_names", "wal_segment_size",
                "archive_mode", "archive_timeout", "wal_keep_size", "max_slot_wal_keep_size", "link_latency", "data"},
               "cluster");
    if (!c["primary"]) fail(c, "expected key 'primary': the primary's name");
    cluster.nodes.push_back({identifier(c["primary"], "the primary's name"), NodeRole::kPrimary, false,
                             pos_of(c["primary"]), std::nullopt});
    if (c["standbys"]) read_standbys(c["standbys"]);
    if (c["synchronous_commit"]) {
      auto level = parse_sync_commit(scalar(c["synchronous_commit"], "synchronous_commit"));
      if (!level)
        fail(c["synchronous_commit"], "expected synchronous_commit: off, local, remote_write, on or remote_apply");
      cluster.synchronous_commit = *level;
    }
    if (c["synchronous_standby_names"]) read_standby_names(c["synchronous_standby_names"]);
    if (c["wal_segment_size"]) {
      const int64_t size = size_bytes(c["wal_segment_size"], "wal_segment_size");
      if (size < (1 << 20) || size > (1LL << 30) || (size & (size - 1)) != 0)
        fail(c["wal_segment_size"], "expected wal_segment_size: a power of two from 1MB to 1GB");
      cluster.wal_segment_size = static_cast<uint64_t>(size);
    }
    if (c["archive_mode"]) cluster.archive_mode = boolean(c["archive_mode"], "archive_mode");
    if (c["archive_timeout"]) cluster.archive_timeout_ms = duration_us(c["archive_timeout"], "archive_timeout") / 1000;
    if (c["wal_keep_size"])
      cluster.wal_keep_size = static_cast<uint64_t>(size_bytes(c["wal_keep_size"], "wal_keep_size"));
    if (c["max_slot_wal_keep_size"]) {
      const std::string v = scalar(c["max_slot_wal_keep_size"], "max_slot_wal_keep_size");
      cluster.max_slot_wal_keep_size = v == "-1" ? -1
                                                 : size_bytes(c["max_slot_wal_keep_size"], "max_slot_wal_keep_size");
    }
    if (c["link_latency"]) cluster.link_latency_us = duration_us(c["link_latency"], "link_latency");
    if (c["data"]) {
      cluster.dataset = plain_text(c["data"], "a data set name");
      cluster.dataset_pos = pos_of(c["data"]);
    }
    // Steps and expectations name tables of the data set: it is looked up before they are read.
    if (Status s = resolve_scenario(scenario_); !s.ok()) throw Unresolved{std::move(s)};
  }

  void read_standbys(const YAML::Node& list) {
    if (!list.IsSequence()) fail(list, "expected 'standbys': a list of standby names");
    for (const auto& s : list) {
      NodeSpec node;
      node.pos = pos_of(s);
      if (s.IsMap()) {
        check_keys(s, {"name", "slot", "latency", "apply_delay"}, "a standby");
        if (!s["name"]) fail(s, "expected key 'name' for the standby");
        node.name = identifier(s["name"], "a standby name");
        if (s["slot"]) node.replication_slot = boolean(s["slot"], "slot");
        if (s["latency"]) node.link_latency_us = duration_us(s["latency"], "a standby's link latency");
        if (s["apply_delay"]) node.apply_delay_us = apply_delay_us(s["apply_delay"]);
      } else {
        node.name = identifier(s, "a standby name");
      }
      if (scenario_.cluster.find_node(node.name) != nullptr)
        fail(s, fmt::format("node '{}' is named twice", node.name));
      scenario_.cluster.nodes.push_back(node);
    }
  }

  // Parsed by resolve_scenario() once the whole cluster is read.
  void read_standby_names(const YAML::Node& n) {
    scenario_.cluster.synchronous_standby_names = n.IsNull() ? "" : plain_text(n, "synchronous_standby_names");
    scenario_.cluster.standby_names_pos = pos_of(n);
  }

  Step read_step(const YAML::Node& node) {
    Step step;
    step.pos = pos_of(node);
    YAML::Node arg;
    const Verb* verb = nullptr;
    if (node.IsScalar()) {
      verb = find_verb(node, node.Scalar());
    } else if (node.IsMap()) {
      for (const auto& kv : node) {
        if (kv.first.IsScalar() && lookup_verb(kv.first.Scalar()) != nullptr) {
          if (verb != nullptr)
            fail(kv.first, fmt::format("a step has one verb; found '{}' after '{}'", kv.first.Scalar(), verb->word));
          verb = lookup_verb(kv.first.Scalar());
          arg = kv.second;
          step.pos = pos_of(kv.first);
        }
      }
      if (verb == nullptr) fail(node, fmt::format("expected a step verb, one of: {}", fmt::join(verb_words(), ", ")));
      std::vector<std::string> allowed = verb->modifiers;
      allowed.push_back(verb->word);
      check_keys(node, allowed, fmt::format("step '{}'", verb->word));
    } else {
      fail(node, fmt::format("expected a step: one of {}", fmt::join(verb_words(), ", ")));
    }
    step.kind = verb->kind;
    read_argument(*verb, node, arg, step);
    if (node.IsMap()) read_modifiers(node, step);
    if (step.kind == StepKind::kNaiveCopy && step.files.empty()) step.files = naive_copy_parts();
    return step;
  }

  // Reads one step as written and appends it, or the numbered inserts its `repeat` or `load`
  // stands for (docs/scenario.md, "Bursts").
  void append_steps(const YAML::Node& node) {
    Step step = read_step(node);
    const bool repeat = node.IsMap() && node["repeat"];
    const bool load = node.IsMap() && node["load"];
    if (!repeat && !load) return scenario_.steps.push_back(std::move(step));
    if (repeat && load) fail(node, "an insert takes 'repeat' or 'load', not both");
    int64_t count = 0;
    int64_t pace_us = 0;
    if (repeat) {
      count = integer(node["repeat"], "a number of repetitions");
    } else {
      const YAML::Node l = node["load"];
      if (!l.IsMap() || !l["rate"] || !l["duration"]) fail(l, "expected 'load': {rate: N/s, duration: D}");
      check_keys(l, {"rate", "duration"}, "load");
      const int64_t rate = per_second(l["rate"]);
      pace_us = 1'000'000 / rate;
      count = duration_us(l["duration"], "a duration such as 2s") * rate / 1'000'000;
    }
    if (count < 1 || count > kMaxRepeat)
      fail(repeat ? node["repeat"] : node["load"],
           fmt::format("expected between 1 and {} inserts (got {})", kMaxRepeat, count));
    for (int64_t i = 1; i <= count; ++i) scenario_.steps.push_back(numbered(step, i, i == 1 ? 0 : pace_us));
  }

  static constexpr int64_t kMaxRepeat = 10'000;

  // A load's rate: "200/s" (or a plain number, per second), at least 1 and at most 1,000,000.
  static int64_t per_second(const YAML::Node& n) {
    std::string text = scalar(n, "a rate such as 200/s");
    if (text.size() > 2 && text.compare(text.size() - 2, 2, "/s") == 0) text.resize(text.size() - 2);
    const bool digits = !text.empty() && text.size() <= 7 && std::all_of(text.begin(), text.end(), ::isdigit);
    const int64_t rate = digits ? std::stoll(text) : 0;
    if (rate < 1 || rate > 1'000'000) fail(n, "expected a rate such as 200/s (1/s to 1000000/s)");
    return rate;
  }

  // Insert number `i` of a repeat or load: label LABEL_i, "{n}" in a value replaced by i.
  static Step numbered(const Step& written, int64_t i, int64_t pace_us) {
    Step step = written;
    step.group = written.label;
    step.label = fmt::format("{}_{}", written.label, i);
    step.pace_us = pace_us;
    const std::string n = std::to_string(i);
    for (auto& [column, value] : step.values)
      for (size_t at = value.find("{n}"); at != std::string::npos; at = value.find("{n}", at + n.size()))
        value.replace(at, 3, n);
    return step;
  }

  static const Verb* lookup_verb(const std::string& word) {
    for (const auto& v : verbs())
      if (word == v.word) return &v;
    return nullptr;
  }

  const Verb* find_verb(const YAML::Node& at, const std::string& word) {
    const Verb* v = lookup_verb(word);
    if (v == nullptr)
      fail(at, fmt::format("unknown step '{}'; expected one of: {}", word, fmt::join(verb_words(), ", ")));
    if (v->arg != Arg::kOptionalNode && v->arg != Arg::kNone)
      fail(at, fmt::format("step '{}' needs an argument ({}: ...)", word, word));
    return v;
  }

  void read_argument(const Verb& verb, const YAML::Node& node, const YAML::Node& arg, Step& step) {
    const bool missing = !arg || arg.IsNull();
    switch (verb.arg) {
      case Arg::kLabel:
        if (missing) fail(node, fmt::format("step '{}' needs a transaction label", verb.word));
        step.label = identifier(arg, "a transaction label");
        break;
      case Arg::kNode:
        if (missing) fail(node, fmt::format("step '{}' needs a node name", verb.word));
        step.node = identifier(arg, "a node name");
        break;
      case Arg::kOptionalNode:
        if (!missing && scalar(arg, "a node name") != "all") step.node = identifier(arg, "a node name");
        break;
      case Arg::kName:
        if (missing) fail(node, fmt::format("step '{}' needs a name", verb.word));
        step.name = identifier(arg, "a name");
        break;
      case Arg::kNone:
        if (!missing) fail(arg, fmt::format("step '{}' takes no argument", verb.word));
        break;
      case Arg::kDuration:
        if (missing) fail(node, "step 'wait' needs a duration such as 200ms");
        step.duration_ms = duration_us(arg, "a duration such as 200ms") / 1000;
        break;
    }
  }

  void read_modifiers(const YAML::Node& node, Step& step) {
    if (node["node"]) step.node = identifier(node["node"], "a node name");
    if (node["table"]) step.table = table_name(node["table"]);
    if (node["values"]) step.values = column_values(node["values"], step, "values");
    if (node["set"]) step.values = column_values(node["set"], step, "set");
    if (node["where"]) step.where = column_values(node["where"], step, "where");
    if (node["cascade"]) step.cascade = boolean(node["cascade"], "cascade");
    if (node["direction"]) {
      const std::string d = scalar(node["direction"], "a direction");
      if (d == "both") step.direction = PartitionDirection::kBoth;
      else if (d == "to_standby") step.direction = PartitionDirection::kToStandby;
      else if (d == "to_primary") step.direction = PartitionDirection::kToPrimary;
      else fail(node["direction"], "expected direction: both, to_standby or to_primary");
    }
    if (step.kind == StepKind::kRestore) read_restore(node, step);
    if (node["files"]) step.files = copy_parts(node["files"]);
    if (step.kind == StepKind::kReload) read_reload(node, step);
    if (node["session"]) read_session(node, step);
    const bool writes = step.kind == StepKind::kInsert || step.kind == StepKind::kUpdate ||
                        step.kind == StepKind::kDelete || step.kind == StepKind::kTruncate;
    if (writes && step.table.empty()) fail(node, fmt::format("step '{}' needs 'table'", to_string(step.kind)));
    if (step.kind == StepKind::kInsert && step.values.empty()) fail(node, "step 'insert' needs 'values'");
    if (step.kind == StepKind::kUpdate && step.values.empty()) fail(node, "step 'update' needs 'set'");
  }

  // An insert in a named session: the session's transaction names the node and the label; the
  // insert is one statement of it (docs/scenario.md, "Sessions").
  static void read_session(const YAML::Node& node, Step& step) {
    step.session = identifier(node["session"], "a session (the label of its begin step)");
    if (node["node"]) fail(node["node"], "a statement of a session runs on the session's node: drop 'node'");
    if (node["repeat"] || node["load"]) fail(node, "a statement of a session takes neither 'repeat' nor 'load'");
  }

  // The settings a reload changes, each checked as PostgreSQL's check hook would.
  void read_reload(const YAML::Node& node, Step& step) {
    const YAML::Node names = node["synchronous_standby_names"];
    if (!names) fail(node, "step 'reload' needs a setting to change: synchronous_standby_names");
    std::string text = names.IsNull() ? "" : plain_text(names, "synchronous_standby_names");
    int column = 0;
    auto parsed = parse_standby_names(text, &column);
    if (!parsed.ok())
      fail(names, fmt::format("invalid synchronous_standby_names '{}' at character {}: {}", text, column,
                              parsed.status().message()));
    step.synchronous_standby_names = std::move(text);
  }

  void read_restore(const YAML::Node& node, Step& step) {
    if (!node["from"]) fail(node, "step 'restore' needs 'from': the base backup to restore");
    step.backup = identifier(node["from"], "a base backup name");
    RecoveryTarget& t = step.target;
    if (node["target"]) {
      const YAML::Node target = node["target"];
      if (target.IsScalar() && target.Scalar() == "immediate") {
        t.kind = RecoveryTarget::Kind::kImmediate;
      } else if (target.IsMap() && (target.size() == 1 || target.size() == 2)) {
        check_keys(target, {"time", "xid", "lsn", "name", "immediate"}, "target");
        auto it = target.begin();
        read_target_kind(*it, t.kind, t.ref);
        if (target.size() == 2) read_target_kind(*++it, t.second_kind, t.second_ref);
      } else {
        fail(target,
             "expected target: immediate, or one of {time: MARK}, {xid: LABEL}, {lsn: MARK}, {name: RESTORE_POINT}");
      }
    }
    if (node["inclusive"]) t.inclusive = boolean(node["inclusive"], "inclusive");
    if (node["action"]) {
      const std::string a = scalar(node["action"], "an action");
      if (a == "pause") t.action = RecoveryTarget::Action::kPause;
      else if (a == "promote") t.action = RecoveryTarget::Action::kPromote;
      else if (a == "shutdown") t.action = RecoveryTarget::Action::kShutdown;
      else fail(node["action"], "expected action: pause, promote or shutdown");
    }
    if (node["timeline"]) {
      t.timeline = scalar(node["timeline"], "a timeline");
      // A TimeLineID is 32 bits (src/include/access/xlogdefs.h); 0 is never a timeline.
      const bool number = !t.timeline.empty() && t.timeline.size() <= 10 &&
                          std::all_of(t.timeline.begin(), t.timeline.end(), ::isdigit) &&
                          std::stoull(t.timeline) >= 1 && std::stoull(t.timeline) <= 0xffffffffULL;
      if (t.timeline != "latest" && t.timeline != "current" && !number)
        fail(node["timeline"], "expected timeline: latest, current or a timeline number from 1 to 4294967295");
    }
  }

  // One key of a target map: its kind and its reference. Two keys set two recovery targets at
  // once, which PostgreSQL accepts as settings and refuses at the server's start.
  static void read_target_kind(const std::pair<YAML::Node, YAML::Node>& kv, RecoveryTarget::Kind& kind,
                               std::string& ref) {
    const std::string key = kv.first.Scalar();
    kind = key == "time"   ? RecoveryTarget::Kind::kTime
           : key == "xid"  ? RecoveryTarget::Kind::kXid
           : key == "lsn"  ? RecoveryTarget::Kind::kLsn
           : key == "name" ? RecoveryTarget::Kind::kName
                           : RecoveryTarget::Kind::kImmediate;
    if (kind == RecoveryTarget::Kind::kImmediate) {
      if (!boolean(kv.second, "immediate")) fail(kv.second, "expected 'immediate: true'");
    } else {
      ref = identifier(kv.second, "a mark, transaction label or restore point");
    }
  }

  static std::vector<std::string> copy_parts(const YAML::Node& list) {
    const auto& known = naive_copy_parts();
    const std::string expected = fmt::format("expected 'files': a list of parts among {}", fmt::join(known, ", "));
    if (!list.IsSequence() || list.size() == 0) fail(list, expected);
    std::vector<std::string> parts;
    for (const auto& item : list) {
      const std::string part = scalar(item, "a data directory part");
      if (std::find(known.begin(), known.end(), part) == known.end())
        fail(item, fmt::format("unknown part '{}'; {}", part, expected));
      if (std::find(parts.begin(), parts.end(), part) != parts.end())
        fail(item, fmt::format("part '{}' is listed twice", part));
      parts.push_back(part);
    }
    return parts;
  }

  std::string table_name(const YAML::Node& n) {
    const std::string name = scalar(n, "a table name");
    const TableSpec* t = dataset().find_table(name);
    if (t == nullptr) {
      std::vector<std::string> names;
      for (const auto& table : dataset().tables) names.push_back(table.name);
      fail(n, fmt::format("unknown table '{}'; expected one of: {}", name, fmt::join(names, ", ")));
    }
    return t->name;
  }

  std::vector<std::pair<std::string, std::string>> column_values(const YAML::Node& map, const Step& step,
                                                                 const char* key) {
    if (!map.IsMap() || map.size() == 0) fail(map, fmt::format("expected '{}': a map of column: value", key));
    if (step.table.empty()) fail(map, fmt::format("'{}' needs 'table' first", key));
    const TableSpec* table = dataset().find_table(step.table);
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& kv : map) {
      const std::string column = scalar(kv.first, "a column name");
      const ColumnSpec* spec = table->find_column(column);
      if (spec == nullptr) {
        std::vector<std::string> names;
        for (const auto& c : table->columns) names.push_back(c.name);
        fail(kv.first, fmt::format("unknown column '{}' of table {}; expected one of: {}", column, table->name,
                                   fmt::join(names, ", ")));
      }
      if (spec->type == ColumnSpec::Type::kSerial && std::string(key) != "where")
        fail(kv.first, fmt::format("column '{}' is assigned by its serial sequence; leave it out", spec->name));
      out.emplace_back(spec->name, scalar(kv.second, "a column value"));
    }
    return out;
  }

  const Dataset& dataset() const { return scenario_.dataset(); }

  // `state: WORD`, `timeline: N`, `sync_state: WORD [priority: N]`, each with `on: NODE`
  // (required for sync_state: the primary has no pg_stat_replication row of its own).
  void read_state_expectation(const YAML::Node& node, const std::string& word, const YAML::Node& arg, Expectation& e) {
    if (word == "state") {
      e.kind = ExpectKind::kState;
      check_keys(node, {"state", "on"}, "expectation 'state'");
      e.server_state = scalar(arg, "a server state");
      if (!parse_server_state(e.server_state)) {
        std::vector<std::string> words;
        for (auto s : server_states()) words.emplace_back(to_string(s));
        fail(arg,
             fmt::format("unknown server state '{}'; expected one of: {}", e.server_state, fmt::join(words, ", ")));
      }
    } else if (word == "timeline") {
      e.kind = ExpectKind::kTimeline;
      check_keys(node, {"timeline", "on"}, "expectation 'timeline'");
      e.timeline = integer(arg, "a timeline number");
      if (e.timeline < 1) fail(arg, fmt::format("expected a timeline number of at least 1, got {}", e.timeline));
    } else {
      e.kind = ExpectKind::kSyncState;
      check_keys(node, {"sync_state", "priority", "on"}, "expectation 'sync_state'");
      e.sync_state = scalar(arg, "a sync_state");
      static const std::vector<std::string> states = {"async", "potential", "sync", "quorum"};
      if (std::find(states.begin(), states.end(), e.sync_state) == states.end())
        fail(arg, fmt::format("unknown sync_state '{}'; expected one of: {}", e.sync_state, fmt::join(states, ", ")));
      if (node["priority"]) {
        e.sync_priority = integer(node["priority"], "a sync_priority");
        if (*e.sync_priority < 0) fail(node["priority"], "expected a sync_priority of 0 or more");
      }
      if (!node["on"]) fail(node, "expectation 'sync_state' needs 'on': the standby");
    }
  }

  Expectation read_expectation(const YAML::Node& node) {
    Expectation e;
    e.pos = pos_of(node);
    if (!node.IsMap())
      fail(node, fmt::format("expected an expectation: one of {}", fmt::join(expectation_words(), ", ")));
    std::string word;
    YAML::Node arg;
    for (const auto& kv : node) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
      const auto& words = expectation_words();
      if (std::find(words.begin(), words.end(), key) != words.end()) {
        if (!word.empty()) fail(kv.first, fmt::format("an expectation has one kind; found '{}' after '{}'", key, word));
        word = key;
        arg = kv.second;
        e.pos = pos_of(kv.first);
      }
    }
    if (word.empty())
      fail(node, fmt::format("expected an expectation: one of {}", fmt::join(expectation_words(), ", ")));
    if (word == "rows") {
      e.kind = ExpectKind::kRows;
      check_keys(node, {"rows", "count", "on"}, "expectation 'rows'");
      e.table = table_name(arg);
      if (!node["count"]) fail(node, "expectation 'rows' needs 'count'");
      e.count = integer(node["count"], "a row count");
      if (e.count < 0) fail(node["count"], fmt::format("expected a row count of 0 or more, got {}", e.count));
    } else if (word == "lag") {
      e.kind = ExpectKind::kLag;
      check_keys(node, {"lag", "bytes_min", "bytes_max", "transactions", "failover_loses_data"}, "expectation 'lag'");
      e.name = identifier(arg, "a lag check name");
      if (node["bytes_min"]) e.lag_bytes_min = size_bytes(node["bytes_min"], "bytes_min");
      if (node["bytes_max"]) e.lag_bytes_max = size_bytes(node["bytes_max"], "bytes_max");
      if (node["transactions"]) e.lag_transactions = integer(node["transactions"], "a number of transactions");
      if (e.lag_transactions && *e.lag_transactions < 0)
        fail(node["transactions"], "expected a number of transactions of 0 or more");
      if (e.lag_bytes_min && e.lag_bytes_max && *e.lag_bytes_min > *e.lag_bytes_max)
        fail(node["bytes_min"], "expected bytes_min no larger than bytes_max");
      if (node["failover_loses_data"])
        e.failover_loses_data = boolean(node["failover_loses_data"], "failover_loses_data");
    } else if (word == "error" && node["step"]) {
      read_step_error(node, arg, e);
    } else if (word == "lost_count" || word == "present_count") {
      read_count_expectation(node, arg, word, e);
    } else if (word == "state" || word == "timeline" || word == "sync_state") {
      read_state_expectation(node, word, arg, e);
    } else if (word == "error") {
      e.kind = ExpectKind::kError;
      check_keys(node, {"error", "on"}, "expectation 'error'");
      e.error = scalar(arg, "an error");
      if (std::find(node_errors().begin(), node_errors().end(), e.error) == node_errors().end())
        fail(arg, fmt::format("unknown error '{}'; expected one of: {}", e.error, fmt::join(node_errors(), ", ")));
      if (!node["on"]) fail(node, "expectation 'error' needs 'on': the node");
    } else {
      static const std::map<std::string, ExpectKind> kinds = {
          {"lost", ExpectKind::kLost},     {"present", ExpectKind::kPresent},
          {"absent", ExpectKind::kAbsent}, {"acknowledged", ExpectKind::kAcknowledged},
          {"blocks", ExpectKind::kBlocks}, {"cancelled", ExpectKind::kCancelled},
          {"failed", ExpectKind::kFailed}, {"in_doubt", ExpectKind::kInDoubt}};
      e.kind = kinds.at(word);
      const bool per_node = e.kind == ExpectKind::kLost || e.kind == ExpectKind::kPresent ||
                            e.kind == ExpectKind::kAbsent;
      check_keys(node, per_node ? std::vector<std::string>{word, "on"} : std::vector<std::string>{word},
                 "expectation '" + word + "'");
      e.label = identifier(arg, "a transaction label");
    }
    if (node["on"]) e.node = identifier(node["on"], "a node name");
    std::ostringstream text;
    text << YAML::Dump(node);
    e.text = text.str();
    std::replace(e.text.begin(), e.text.end(), '\n', ' ');
    return e;
  }

  // `error: CONDITION` with `step: REF`: PostgreSQL refuses that step with an ERROR of that
  // SQLSTATE. REF is the step's label or name, or the line its verb stands on.
  void read_step_error(const YAML::Node& node, const YAML::Node& arg, Expectation& e) {
    e.kind = ExpectKind::kStepError;
    check_keys(node, {"error", "step"}, "expectation 'error' of a step");
    e.error = scalar(arg, "an SQLSTATE or condition name");
    const std::optional<std::string> code = parse_sqlstate(e.error);
    if (!code)
      fail(arg, fmt::format("expected an SQLSTATE (five digits or capital letters, such as 22P02) or a condition "
                            "name (such as invalid_text_representation); got '{}'",
                            e.error));
    e.sqlstate = *code;
    const YAML::Node ref = node["step"];
    e.step_ref = scalar(ref, "a step: its label, its name or its line");
    e.step = step_index(ref, e.step_ref);
  }

  int step_index(const YAML::Node& at, const std::string& ref) const {
    const auto& steps = scenario_.steps;
    const bool line = !ref.empty() && std::all_of(ref.begin(), ref.end(), ::isdigit);
    std::vector<int> found;
    for (size_t i = 0; i < steps.size(); ++i) {
      const Step& st = steps[i];
      const bool match = line ? std::to_string(st.pos.line) == ref : (st.label == ref || st.name == ref);
      if (match) found.push_back(static_cast<int>(i));
    }
    if (found.empty())
      fail(at, line ? fmt::format("no step stands on line {}", ref)
                    : fmt::format("no step is labelled or named '{}'", ref));
    if (found.size() > 1)
      fail(at, fmt::format("'{}' names {} steps; name the step by its line instead", ref, found.size()));
    return found.front();
  }

  // lost_count: {min: N, max: M}, with optional `label` (a repeat's or load's) and `on`.
  static void read_count_expectation(const YAML::Node& node, const YAML::Node& arg, const std::string& word,
                                     Expectation& e) {
    e.kind = word == "lost_count" ? ExpectKind::kLostCount : ExpectKind::kPresentCount;
    check_keys(node, {word, "on"}, "expectation '" + word + "'");
    const std::string expected = fmt::format("expected '{}': {{min: N, max: M}} and optionally label", word);
    if (!arg.IsMap() || !arg["min"] || !arg["max"]) fail(arg, expected);
    check_keys(arg, {"min", "max", "label"}, "expectation '" + word + "'");
    e.count_min = integer(arg["min"], "a number of transactions");
    e.count_max = integer(arg["max"], "a number of transactions");
    if (arg["label"]) e.label = identifier(arg["label"], "a repeat's or load's label");
  }

  Scenario scenario_;
};

}  // namespace

// Defined in scenario_checker.cc: the state walk over the parsed steps.
Status check_scenario(const Scenario& scenario);

namespace {

// Where the first byte that is not UTF-8 lies (line and column, 1-based, the column in bytes),
// if any: every text replsim prints or writes as JSON must be UTF-8, so it is refused here.
std::optional<SourcePos> first_invalid_utf8(const std::string& text) {
  SourcePos pos{1, 1};
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    bool ok = n != 0 && i + n <= text.size() && !(c == 0xc0 || c == 0xc1 || c > 0xf4);
    for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(text[i + k]) >> 6) == 0x2;
    if (ok && n == 3) {  // No overlong forms, no surrogates.
      const auto c1 = static_cast<unsigned char>(text[i + 1]);
      ok = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 >= 0xa0);
    }
    if (ok && n == 4) {
      const auto c1 = static_cast<unsigned char>(text[i + 1]);
      ok = !(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 >= 0x90);
    }
    if (!ok) return pos;
    if (c == '\n') pos = {pos.line + 1, 1};
    else pos.column += static_cast<int>(n);
    i += n;
  }
  return std::nullopt;
}

// An alias shares its anchor's node, so a few lines can stand for billions of nodes ("billion
// laughs") or for a node that holds itself (`steps: &s [*s]`): every walk over such a tree would
// never end or overflow the stack. Refused: more nodes than a 1 MiB text can spell out without
// aliases, or more levels than any scenario needs.
inline constexpr int64_t kMaxYamlNodes = kMaxScenarioBytes;
inline constexpr int kMaxYamlDepth = 64;

// yaml-cpp keeps both entries of a key given twice and finds only the first: the second (and
// whatever it held) would be silently ignored. Refused, at the second.
// yaml-cpp tags an untagged node "?" (plain) or "!" (quoted). An explicit tag ("!x", "!!str")
// would be dropped silently: `name: !x` reads as an empty name, so the language has none.
void check_no_tag(const YAML::Node& node) {
  const std::string& tag = node.Tag();
  if (tag.empty() || tag == "?" || tag == "!") return;
  fail(node, fmt::format("a YAML tag ('{}') is not part of the scenario language; write the value alone", tag));
}

void check_no_duplicate_keys(const YAML::Node& node, int depth, int64_t& visited) {
  if (++visited > kMaxYamlNodes)
    fail(node, fmt::format("the document's aliases stand for more than {} nodes; write the values out", kMaxYamlNodes));
  if (depth > kMaxYamlDepth)
    fail(node, fmt::format("nested deeper than {} levels (or an alias inside its own anchor)", kMaxYamlDepth));
  check_no_tag(node);
  if (node.IsSequence()) {
    for (const auto& item : node) check_no_duplicate_keys(item, depth + 1, visited);
  } else if (node.IsMap()) {
    std::set<std::string> seen;
    for (const auto& kv : node) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
      check_no_tag(kv.first);
      if (!seen.insert(key).second) fail(kv.first, fmt::format("key '{}' is given twice", key));
      check_no_duplicate_keys(kv.second, depth + 1, visited);
    }
  }
}

// Where the first raw control byte lies, if any: YAML text holds none but tab, line feed and
// carriage return (YAML 1.2, 5.1 "c-printable"); yaml-cpp passes a raw NUL or ESC through. Inside
// double quotes a scenario may still write one as an escape ("\e", "\0"), which the fields check.
std::optional<std::pair<SourcePos, int>> first_raw_control(const std::string& text) {
  SourcePos pos{1, 1};
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) return std::pair{pos, static_cast<int>(c)};
    if (c == '\n') pos = {pos.line + 1, 1};
    else ++pos.column;  // In bytes, as first_invalid_utf8 counts.
  }
  return std::nullopt;
}

// A message that quotes the file's text (a key, a value), on one line: a control character in
// what it quotes (a quoted key may fold to a line break) is written as \xNN.
std::string one_line(const std::string& message) {
  std::string out;
  for (const char c : message) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    else out += c;
  }
  return out;
}

// Counts the documents of a YAML stream, and where each starts and its first node stands.
class DocumentCounter : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts, first_nodes;
  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t, const std::string&) override { node(mark); }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnMapEnd() override {}

 private:
  void node(const YAML::Mark& mark) {
    if (first_nodes.size() < starts.size()) first_nodes.push_back(mark);
  }
};

// One YAML document, or bad input at the second (at its first node, else where it starts). Not
// YAML::LoadAll: on a document that starts with a stray ',' yaml-cpp 0.7 reads no token and
// returns an empty document forever, and LoadAll collects them until memory runs out; here a
// "document" that read nothing is an error.
void check_one_document(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentCounter counter;
  while (counter.starts.size() < 2 && parser.HandleNextDocument(counter)) {
  }
  if (counter.starts.size() < 2) return;
  const YAML::Mark& first = counter.starts[0];
  const YAML::Mark& second = counter.first_nodes.size() == 2 && !counter.first_nodes[1].is_null()
                                 ? counter.first_nodes[1]
                                 : counter.starts[1];
  const SourcePos at{second.line + 1, second.column + 1};
  if (counter.starts[1].pos == first.pos) fail(at, "YAML syntax error: no document can start here");
  fail(at, "a scenario file holds one YAML document; this is a second one");
}

}  // namespace

Result<Scenario> parse_scenario_text(const std::string& text, const std::string& file_name) {
  if (auto bad = first_invalid_utf8(text))
    return Status::InvalidInput(fmt::format("{}:{}:{}: not UTF-8 text", file_name, bad->line, bad->column));
  if (auto bad = first_raw_control(text))
    return Status::InvalidInput(fmt::format("{}:{}:{}: a raw control character (code {}) is not YAML text", file_name,
                                            bad->first.line, bad->first.column, bad->second));
  try {
    check_one_document(text);
    YAML::Node root = YAML::Load(text);
    int64_t visited = 0;
    check_no_duplicate_keys(root, 0, visited);
    Scenario scenario = Reader(file_name).read(root);
    scenario.source = text;
    for (auto& step : scenario.steps) step.text = describe_step(step);
    if (Status s = check_scenario(scenario); !s.ok()) return s;
    return scenario;
  } catch (const Unresolved& e) {
    return e.status;
  } catch (const ParseError& e) {
    // A node with no place in the text (the empty document of a file of comments) is at its start.
    const SourcePos pos = e.pos.line == 0 ? SourcePos{1, 1} : e.pos;
    return Status::InvalidInput(fmt::format("{}:{}:{}: {}", file_name, pos.line, pos.column, one_line(e.message)));
  } catch (const YAML::Exception& e) {
    return Status::InvalidInput(
        fmt::format("{}:{}:{}: YAML syntax error: {}", file_name, e.mark.line + 1, e.mark.column + 1, one_line(e.msg)));
  }
}

Result<Scenario> parse_scenario_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidInput(fmt::format("{}: cannot read the scenario file", path));
  // Read at most one byte past the limit: /dev/zero or a pipe must not be read forever.
  std::string text(static_cast<size_t>(kMaxScenarioBytes) + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (in.bad()) return Status::InvalidInput(fmt::format("{}: cannot read the scenario file", path));
  if (static_cast<int64_t>(text.size()) > kMaxScenarioBytes)
    return Status::InvalidInput(
        fmt::format("{}: the scenario file is larger than {} bytes, the limit", path, kMaxScenarioBytes));
  return parse_scenario_text(text, path);
}

namespace {

// "digits unit" with the unit from `units`: the value in the smallest unit, or an error
// naming `example`; a value above `max` (in the smallest unit) is refused with `too_large`
// before it overflows.
Result<int64_t> parse_with_units(const std::string& text, const std::vector<std::pair<std::string, int64_t>>& units,
                                 int64_t bare_scale, int64_t max, const char* example, const char* unit_names,
                                 const char* too_large) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 18) return Status::InvalidInput(fmt::format("'{}' is not {}", text, example));
  const int64_t value = std::stoll(text.substr(0, digits));
  const std::string unit = text.substr(digits);
  int64_t scale = unit.empty() ? bare_scale : 0;
  for (const auto& [name, factor] : units)
    if (unit == name) scale = factor;
  if (scale == 0) return Status::InvalidInput(fmt::format("'{}' has an unknown unit; expected {}", text, unit_names));
  if (value > max / scale) return Status::InvalidInput(fmt::format("'{}' is {}", text, too_large));
  return value * scale;
}

}  // namespace

Result<int64_t> parse_duration_us(const std::string& text) {
  static const std::vector<std::pair<std::string, int64_t>> units = {
      {"us", 1}, {"ms", 1000}, {"s", 1000000}, {"min", 60000000}};
  return parse_with_units(text, units, 1000, kMaxDurationUs, "a duration such as 200ms", "us, ms, s or min",
                          "longer than 10min, the longest duration a scenario may state");
}

Result<int64_t> parse_size_bytes(const std::string& text) {
  static const std::vector<std::pair<std::string, int64_t>> units = {
      {"B", 1}, {"kB", 1024}, {"MB", 1024 * 1024}, {"GB", 1024LL * 1024 * 1024}, {"TB", 1LL << 40}};
  return parse_with_units(text, units, 1, kMaxSizeBytes, "a size such as 16MB", "B, kB, MB, GB or TB",
                          "more than 1TB, the largest size a scenario may state");
}

}  // namespace replsim
