#include "sim/campaign/scenario_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string_view>
#include <vector>

#include "vocab/scenario_parser.h"
#include "vocab/step_visitor.h"

namespace replsim::campaign {
namespace {

// Double-quoted YAML scalar: the only style that keeps every string (including "on",
// "123", ": x" and empty ones) a string with exactly this text.
std::string quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        else out += c;
    }
  }
  return out + "\"";
}

// A column named twice (PostgreSQL's 42701, a step the server refuses) cannot be written as
// the same YAML key twice: the reader refuses duplicate keys. Column names are
// case-insensitive, so each repeat is spelled differently and reads back as the same column.
std::string pairs(const std::vector<std::pair<std::string, std::string>>& kv) {
  std::vector<std::string> parts;
  std::set<std::string> written;
  for (const auto& [k, v] : kv) {
    std::string key = k;
    // The first 1, 2, ... letters in upper case: a different spelling for each repeat.
    for (size_t upper = 1; !written.insert(key).second && upper <= k.size(); ++upper) {
      key = k;
      for (size_t i = 0; i < upper; ++i) key[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(key[i])));
    }
    parts.push_back(fmt::format("{}: {}", key, quote(v)));
  }
  return fmt::format("{{{}}}", fmt::join(parts, ", "));
}

void write_cluster(const ClusterSpec& c, std::string& out) {
  const ClusterSpec defaults;
  out += "cluster:\n";
  out += fmt::format("  primary: {}\n", c.nodes.empty() ? std::string("primary") : c.nodes[0].name);
  std::vector<std::string> standbys;
  for (size_t i = 1; i < c.nodes.size(); ++i) {
    const NodeSpec& n = c.nodes[i];
    if (!n.replication_slot && !n.link_latency_us && n.apply_delay_us == 0) {
      standbys.push_back(n.name);
      continue;
    }
    std::string spec = fmt::format("{{name: {}", n.name);
    if (n.replication_slot) spec += ", slot: true";
    if (n.link_latency_us) spec += fmt::format(", latency: {}us", *n.link_latency_us);
    if (n.apply_delay_us != 0) spec += fmt::format(", apply_delay: {}ms", n.apply_delay_us / 1000);
    standbys.push_back(spec + "}");
  }
  if (!standbys.empty()) out += fmt::format("  standbys: [{}]\n", fmt::join(standbys, ", "));
  out += fmt::format("  synchronous_commit: {}\n", quote(to_string(c.synchronous_commit)));
  out += fmt::format("  synchronous_standby_names: {}\n", quote(c.synchronous_standby_names));
  if (c.wal_segment_size != defaults.wal_segment_size)
    out += fmt::format("  wal_segment_size: {}\n", c.wal_segment_size);
  if (c.archive_mode != defaults.archive_mode) out += fmt::format("  archive_mode: {}\n", c.archive_mode);
  if (c.archive_timeout_ms != defaults.archive_timeout_ms)
    out += fmt::format("  archive_timeout: {}ms\n", c.archive_timeout_ms);
  if (c.wal_keep_size != defaults.wal_keep_size) out += fmt::format("  wal_keep_size: {}\n", c.wal_keep_size);
  if (c.max_slot_wal_keep_size != defaults.max_slot_wal_keep_size)
    out += fmt::format("  max_slot_wal_keep_size: {}\n", c.max_slot_wal_keep_size);
  if (c.link_latency_us != defaults.link_latency_us) out += fmt::format("  link_latency: {}us\n", c.link_latency_us);
  out += fmt::format("  data: {}\n", c.dataset);
}

const char* direction(PartitionDirection d) {
  return d == PartitionDirection::kToStandby   ? "to_standby"
         : d == PartitionDirection::kToPrimary ? "to_primary"
                                               : "both";
}

std::string target(const RecoveryTarget& t) {
  using Kind = RecoveryTarget::Kind;
  switch (t.kind) {
    case Kind::kNone: return "";
    case Kind::kImmediate: return "immediate";
    case Kind::kTime: return fmt::format("{{time: {}}}", t.ref);
    case Kind::kXid: return fmt::format("{{xid: {}}}", t.ref);
    case Kind::kLsn: return fmt::format("{{lsn: {}}}", t.ref);
    case Kind::kName: return fmt::format("{{name: {}}}", t.ref);
  }
  return "";
}

// A target with a second kind set with it: {name: a, xid: b}.
std::string targets(const RecoveryTarget& t) {
  if (t.second_kind == RecoveryTarget::Kind::kNone) return target(t);
  RecoveryTarget second;
  second.kind = t.second_kind;
  second.ref = t.second_ref;
  auto inner = [](const RecoveryTarget& one) {
    const std::string text = target(one);
    return one.kind == RecoveryTarget::Kind::kImmediate ? std::string("immediate: true")
                                                        : text.substr(1, text.size() - 2);
  };
  return fmt::format("{{{}, {}}}", inner(t), inner(second));
}

void write_restore(const Step& s, std::string& out) {
  const RecoveryTarget defaults;
  out += fmt::format("    from: {}\n", s.backup);
  if (s.target.kind != RecoveryTarget::Kind::kNone) out += fmt::format("    target: {}\n", targets(s.target));
  if (s.target.inclusive != defaults.inclusive) out += fmt::format("    inclusive: {}\n", s.target.inclusive);
  if (s.target.action != defaults.action) {
    out += fmt::format("    action: {}\n",
                       s.target.action == RecoveryTarget::Action::kPromote ? "promote" : "shutdown");
  }
  if (s.target.timeline != defaults.timeline) out += fmt::format("    timeline: {}\n", quote(s.target.timeline));
}

// Writes one step as the parser reads it back: one member per step kind (visit_step), so a new
// kind does not compile until it is written here.
class StepWriter {
 public:
  explicit StepWriter(std::string& out) : out_(out) {}

  void on_insert(const Step& s) { row_change(s, "values"); }
  void on_update(const Step& s) { row_change(s, "set"); }
  void on_delete(const Step& s) { row_change(s, nullptr); }
  void on_truncate(const Step& s) { row_change(s, nullptr); }
  void on_mark(const Step& s) { named(s); }
  void on_catchup(const Step& s) { optional_node(s); }
  void on_wait(const Step& s) { out_ += fmt::format("  - wait: {}ms\n", s.duration_ms); }
  void on_check_lag(const Step& s) { named(s); }
  void on_cancel(const Step& s) { out_ += fmt::format("  - cancel: {}\n", s.label); }
  void on_terminate(const Step& s) { out_ += fmt::format("  - terminate: {}\n", s.label); }
  void on_begin(const Step& s) {
    out_ += fmt::format("  - begin: {}\n", s.label);
    node_modifier(s);
  }
  void on_commit(const Step& s) { out_ += fmt::format("  - commit: {}\n", s.label); }
  void on_rollback(const Step& s) { out_ += fmt::format("  - rollback: {}\n", s.label); }
  void on_reload(const Step& s) {
    out_ += fmt::format("  - reload: {}\n    synchronous_standby_names: {}\n", s.node,
                        quote(s.synchronous_standby_names.value_or("")));
  }
  void on_pause(const Step& s) { of_node(s); }
  void on_resume(const Step& s) { of_node(s); }
  void on_partition(const Step& s) {
    out_ += fmt::format("  - partition: {}\n", s.node);
    if (s.direction != PartitionDirection::kBoth) out_ += fmt::format("    direction: {}\n", direction(s.direction));
  }
  void on_heal(const Step& s) { of_node(s); }
  void on_crash(const Step& s) { of_node(s); }
  void on_stop(const Step& s) { of_node(s); }
  void on_start(const Step& s) { of_node(s); }
  void on_wipe(const Step& s) { of_node(s); }
  void on_promote(const Step& s) { of_node(s); }
  void on_base_backup(const Step& s) { named(s); }
  void on_switch_wal(const Step& s) { optional_node(s); }
  void on_restore_point(const Step& s) { named(s); }
  void on_restore(const Step& s) {
    out_ += fmt::format("  - restore: {}\n", s.node);
    write_restore(s, out_);
  }
  void on_checkpoint(const Step& s) { optional_node(s); }
  void on_naive_copy(const Step& s) {
    // The parser reads a naive copy without `files` as every part at once; writing the list
    // always keeps the step's parts (and their order) exactly.
    out_ += fmt::format("  - naive_copy: {}\n    files: [{}]\n", s.name, fmt::join(s.files, ", "));
    node_modifier(s);
  }
  void on_break_archive(const Step& s) { bare(s); }
  void on_repair_archive(const Step& s) { bare(s); }
  void on_stall_disk(const Step& s) { of_node(s); }
  void on_os_crash(const Step& s) { of_node(s); }
  void on_pause_replay(const Step& s) { of_node(s); }
  void on_resume_replay(const Step& s) { of_node(s); }

 private:
  // insert, update, delete, truncate: the label, the table, then `values_key` (insert's
  // values, update's set; null for the others).
  void row_change(const Step& s, const char* values_key) {
    out_ += fmt::format("  - {}: {}\n    table: {}\n", to_string(s.kind), s.label, s.table);
    if (values_key != nullptr) out_ += fmt::format("    {}: {}\n", values_key, pairs(s.values));
    if (!s.where.empty()) out_ += fmt::format("    where: {}\n", pairs(s.where));
    if (s.cascade) out_ += "    cascade: true\n";
    node_modifier(s);
    if (!s.session.empty()) out_ += fmt::format("    session: {}\n", s.session);
  }
  // A step that acts on one node, named as its value.
  void of_node(const Step& s) { out_ += fmt::format("  - {}: {}\n", to_string(s.kind), s.node); }
  // A step of the whole cluster, or of one node when it names one.
  void optional_node(const Step& s) {
    out_ += s.node.empty() ? fmt::format("  - {}\n", to_string(s.kind))
                           : fmt::format("  - {}: {}\n", to_string(s.kind), s.node);
  }
  // A step that names what it makes (a mark, a base backup, ...), on the primary unless `node` says.
  void named(const Step& s) {
    out_ += fmt::format("  - {}: {}\n", to_string(s.kind), s.name);
    node_modifier(s);
  }
  void bare(const Step& s) { out_ += fmt::format("  - {}\n", to_string(s.kind)); }
  void node_modifier(const Step& s) {
    if (!s.node.empty()) out_ += fmt::format("    node: {}\n", s.node);
  }

  std::string& out_;
};

// `step_lines`: the line each step's verb stands on in `out`, for an `error:` expectation that
// names its step by a line (the written file's lines are not the original's).
void write_expectation(const Expectation& e, std::string& out, const std::vector<int>& step_lines) {
  const std::string kind = to_string(e.kind);
  switch (e.kind) {
    case ExpectKind::kRows: out += fmt::format("  - rows: {}\n    count: {}\n", e.table, e.count); break;
    case ExpectKind::kLag:
      out += fmt::format("  - lag: {}\n", e.name);
      if (e.lag_bytes_min) out += fmt::format("    bytes_min: {}\n", *e.lag_bytes_min);
      if (e.lag_bytes_max) out += fmt::format("    bytes_max: {}\n", *e.lag_bytes_max);
      if (e.lag_transactions) out += fmt::format("    transactions: {}\n", *e.lag_transactions);
      if (e.failover_loses_data) out += fmt::format("    failover_loses_data: {}\n", *e.failover_loses_data);
      return;  // A lag expectation takes no node.
    case ExpectKind::kError: out += fmt::format("  - error: {}\n", e.error); break;
    case ExpectKind::kStepError: {
      const bool by_line = !e.step_ref.empty() && std::all_of(e.step_ref.begin(), e.step_ref.end(), ::isdigit);
      const bool known = e.step >= 0 && static_cast<size_t>(e.step) < step_lines.size();
      out += fmt::format("  - error: {}\n    step: {}\n", quote(e.error),
                         by_line && known ? std::to_string(step_lines[static_cast<size_t>(e.step)]) : e.step_ref);
      return;
    }
    case ExpectKind::kLostCount:
    case ExpectKind::kPresentCount:
      out += fmt::format("  - {}: {{min: {}, max: {}{}}}\n", kind, e.count_min, e.count_max,
                         e.label.empty() ? "" : ", label: " + e.label);
      break;
    case ExpectKind::kState: out += fmt::format("  - state: {}\n", e.server_state); break;
    case ExpectKind::kTimeline: out += fmt::format("  - timeline: {}\n", e.timeline); break;
    case ExpectKind::kSyncState:
      out += fmt::format("  - sync_state: {}\n", e.sync_state);
      if (e.sync_priority) out += fmt::format("    priority: {}\n", *e.sync_priority);
      break;
    default: out += fmt::format("  - {}: {}\n", kind, e.label); break;
  }
  if (!e.node.empty()) out += fmt::format("    on: {}\n", e.node);
}

// Comparison helpers: the first difference wins and is described.
class Diff {
 public:
  explicit Diff(std::string* out) : out_(out) {}
  template <typename T>
  void field(const std::string& where, const T& a, const T& b) {
    if (!same_ || a == b) return;
    same_ = false;
    if (out_ != nullptr) *out_ = fmt::format("{}: '{}' vs '{}'", where, a, b);
  }
  void field(const std::string& where, bool differs) {
    if (!same_ || !differs) return;
    same_ = false;
    if (out_ != nullptr) *out_ = where + " differ";
  }
  bool same() const { return same_; }

 private:
  std::string* out_;
  bool same_ = true;
};

void compare_cluster(const ClusterSpec& a, const ClusterSpec& b, Diff& d) {
  d.field("cluster.nodes.size", a.nodes.size(), b.nodes.size());
  for (size_t i = 0; i < a.nodes.size() && i < b.nodes.size(); ++i) {
    d.field(fmt::format("cluster.nodes[{}].name", i), a.nodes[i].name, b.nodes[i].name);
    d.field(fmt::format("cluster.nodes[{}].role", i), a.nodes[i].role != b.nodes[i].role);
    d.field(fmt::format("cluster.nodes[{}].slot", i), a.nodes[i].replication_slot, b.nodes[i].replication_slot);
    d.field(fmt::format("cluster.nodes[{}].latency", i), a.nodes[i].link_latency_us.value_or(-1),
            b.nodes[i].link_latency_us.value_or(-1));
    d.field(fmt::format("cluster.nodes[{}].apply_delay", i), a.nodes[i].apply_delay_us, b.nodes[i].apply_delay_us);
  }
  d.field("cluster.synchronous_commit", std::string(to_string(a.synchronous_commit)),
          std::string(to_string(b.synchronous_commit)));
  d.field("cluster.synchronous_standby_names", a.synchronous_standby_names, b.synchronous_standby_names);
  d.field("cluster.wal_segment_size", a.wal_segment_size, b.wal_segment_size);
  d.field("cluster.archive_mode", a.archive_mode, b.archive_mode);
  d.field("cluster.archive_timeout_ms", a.archive_timeout_ms, b.archive_timeout_ms);
  d.field("cluster.wal_keep_size", a.wal_keep_size, b.wal_keep_size);
  d.field("cluster.max_slot_wal_keep_size", a.max_slot_wal_keep_size, b.max_slot_wal_keep_size);
  d.field("cluster.link_latency_us", a.link_latency_us, b.link_latency_us);
  d.field("cluster.dataset", a.dataset, b.dataset);
}

void compare_step(size_t i, const Step& a, const Step& b, Diff& d) {
  const std::string at = fmt::format("steps[{}]", i);
  d.field(at + ".kind", std::string(to_string(a.kind)), std::string(to_string(b.kind)));
  d.field(at + ".label", a.label, b.label);
  d.field(at + ".node", a.node, b.node);
  d.field(at + ".name", a.name, b.name);
  d.field(at + ".table", a.table, b.table);
  d.field(at + ".values", a.values != b.values);
  d.field(at + ".where", a.where != b.where);
  d.field(at + ".cascade", a.cascade, b.cascade);
  d.field(at + ".direction", a.direction != b.direction);
  d.field(at + ".duration_ms", a.duration_ms, b.duration_ms);
  d.field(at + ".backup", a.backup, b.backup);
  d.field(at + ".files", fmt::format("{}", fmt::join(a.files, ", ")), fmt::format("{}", fmt::join(b.files, ", ")));
  d.field(at + ".target", a.target.kind != b.target.kind || a.target.ref != b.target.ref ||
                              a.target.second_kind != b.target.second_kind ||
                              a.target.second_ref != b.target.second_ref || a.target.inclusive != b.target.inclusive ||
                              a.target.action != b.target.action || a.target.timeline != b.target.timeline);
  d.field(at + ".synchronous_standby_names", a.synchronous_standby_names.value_or("(unset)"),
          b.synchronous_standby_names.value_or("(unset)"));
}

void compare_expectation(size_t i, const Expectation& a, const Expectation& b, Diff& d) {
  const std::string at = fmt::format("expect[{}]", i);
  d.field(at + ".kind", std::string(to_string(a.kind)), std::string(to_string(b.kind)));
  d.field(at + ".label", a.label, b.label);
  d.field(at + ".node", a.node, b.node);
  d.field(at + ".table", a.table, b.table);
  d.field(at + ".count", a.count, b.count);
  d.field(at + ".name", a.name, b.name);
  d.field(at + ".lag", a.lag_bytes_min != b.lag_bytes_min || a.lag_bytes_max != b.lag_bytes_max ||
                           a.lag_transactions != b.lag_transactions || a.failover_loses_data != b.failover_loses_data);
  d.field(at + ".error", a.error, b.error);
  d.field(at + ".step", a.step, b.step);
  d.field(at + ".sqlstate", a.sqlstate, b.sqlstate);
}

}  // namespace

Result<Scenario> round_trip(const Scenario& scenario) {
  return parse_scenario_text(write_scenario(scenario), scenario.name + ".yaml");
}

std::string write_scenario(const Scenario& scenario) {
  std::string out;
  out += fmt::format("name: {}\n", quote(scenario.name));
  if (!scenario.description.empty()) out += fmt::format("description: {}\n", quote(scenario.description));
  write_cluster(scenario.cluster, out);
  out += scenario.steps.empty() ? "steps: []\n" : "steps:\n";
  StepWriter writer(out);
  std::vector<int> step_lines;
  for (const Step& s : scenario.steps) {
    step_lines.push_back(static_cast<int>(std::count(out.begin(), out.end(), '\n')) + 1);
    visit_step(s, writer);
  }
  if (!scenario.expectations.empty()) {
    out += "expect:\n";
    for (const Expectation& e : scenario.expectations) write_expectation(e, out, step_lines);
  }
  return out;
}

bool same_scenario(const Scenario& a, const Scenario& b, std::string* difference) {
  Diff d(difference);
  d.field("name", a.name, b.name);
  d.field("description", a.description, b.description);
  compare_cluster(a.cluster, b.cluster, d);
  d.field("steps.size", a.steps.size(), b.steps.size());
  for (size_t i = 0; i < a.steps.size() && i < b.steps.size(); ++i) compare_step(i, a.steps[i], b.steps[i], d);
  d.field("expect.size", a.expectations.size(), b.expectations.size());
  for (size_t i = 0; i < a.expectations.size() && i < b.expectations.size(); ++i)
    compare_expectation(i, a.expectations[i], b.expectations[i], d);
  return d.same();
}

}  // namespace replsim::campaign
