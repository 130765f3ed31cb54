// `replsim runs [--store DIR] [--json]` lists the recorded verify runs (id, time, scenario,
// verdict); `replsim runs show ID [--store DIR] [--json]` prints one of them again: both
// timelines, the verdict, the history checks and the expectations, as `replsim verify` did.
// `replsim runs repair [--store DIR]` rebuilds a damaged store's metadata. Reading opens the
// store read-only. Exit 0 on success, 2 for an unknown id or an unreadable store.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli/cli_conventions.h"
#include "cli/command.h"
#include "cli/report_printer.h"
#include "sim/campaign/property.h"
#include "verifier/expectations.h"
#include "verifier/report_text.h"
#include "verifier/run_store.h"
#include "verifier/verification.h"
#include "vocab/scenario_parser.h"

namespace replsim::cli {
namespace {

struct RunsOptions {
  std::string store;
  bool json = false;
  std::string id;
};

std::string utc(int64_t time_ms) {
  const std::time_t t = static_cast<std::time_t>(time_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

// The store opened read-only, or nullptr with `code` set; a store that was never created has
// no runs. Reading never creates, repairs or deletes anything (RunStore::open_read_only).
std::unique_ptr<RunStore> open_store(const RunsOptions& o, int* code) {
  const std::string dir = o.store.empty() ? RunStore::default_dir() : o.store;
  auto store = RunStore::open_read_only(dir);
  if (store.status().code() == Status::Code::kNotFound) {
    std::fprintf(stderr, "replsim runs: no runs recorded in %s\n", dir.c_str());
    *code = o.id.empty() ? kExitOk : kExitBadInput;
    if (o.json && o.id.empty()) std::puts("[]");
    return nullptr;
  }
  if (!store.ok()) {
    std::fprintf(stderr, "replsim runs: %s\n", store.status().message().c_str());
    *code = kExitBadInput;
    return nullptr;
  }
  return std::move(store).value();
}

// `replsim runs repair`: the one command that may rewrite a damaged store's metadata.
int repair(const RunsOptions& o) {
  const std::string dir = o.store.empty() ? RunStore::default_dir() : o.store;
  const Status st = RunStore::repair(dir);
  if (!st.ok()) {
    std::fprintf(stderr, "replsim runs repair: %s\n", st.message().c_str());
    return kExitBadInput;
  }
  std::fprintf(stderr, "replsim runs repair: %s repaired; `replsim runs --store %s` lists what it holds\n", dir.c_str(),
               dir.c_str());
  return kExitOk;
}

// The property a stored counterexample refutes or violates (its verification names it), or nullptr.
const campaign::Property* counterexample_property(const RunStore& store, const std::string& id) {
  auto record = store.get(id);
  if (!record.ok()) return nullptr;
  const auto doc = nlohmann::json::parse(record->verification_json, nullptr, false);
  if (!doc.is_object() || !doc.contains("property") || !doc["property"].is_string()) return nullptr;
  return campaign::find_property(doc["property"].get<std::string>());
}

// What the run said, as the command that made it said it: verify's pass or FAIL; for a check
// counterexample, "refuted as expected" when it refutes a false promise (check exited 0), else
// "FAIL: violated" (a guarantee broken). Runs recorded before `passed` carried that are told
// apart by their property's kind.
std::string result_label(const RunStore& store, const RunSummary& r) {
  if (r.verdict != RunSummary::Verdict::kCounterexample) return r.passed ? "pass" : "FAIL";
  if (r.passed) return "refuted as expected";
  const campaign::Property* p = counterexample_property(store, r.id);
  return p != nullptr && p->kind == campaign::PropertyKind::kFalsePromise ? "refuted as expected" : "FAIL: violated";
}

void print_json_list(const std::vector<RunSummary>& runs, const std::vector<std::string>& results) {
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < runs.size(); ++i) {
    const RunSummary& r = runs[i];
    out.push_back({{"id", r.id},
                   {"time_ms", r.time_ms},
                   {"time", utc(r.time_ms) + "Z"},
                   {"scenario", r.scenario},
                   {"file", r.file},
                   {"seed", r.seed},
                   {"verdict", to_string(r.verdict)},
                   {"passed", r.passed},
                   {"result", results[i]}});
  }
  std::puts(out.dump(2).c_str());
}

// One line per run; each column as wide as its longest entry, so any label lines up.
void print_table(const std::vector<RunSummary>& runs, const std::vector<std::string>& results) {
  size_t id_w = 2, verdict_w = 7, result_w = 6;
  for (size_t i = 0; i < runs.size(); ++i) {
    id_w = std::max(id_w, runs[i].id.size());
    verdict_w = std::max(verdict_w, std::strlen(to_string(runs[i].verdict)));
    result_w = std::max(result_w, results[i].size());
  }
  const auto row = [&](const std::string& id, const std::string& time, const std::string& verdict,
                       const std::string& result, const std::string& scenario) {
    fmt::print("{:<{}}  {:<19}  {:<{}}  {:<{}}  {}\n", id, id_w, time, verdict, verdict_w, result, result_w, scenario);
  };
  row("ID", "TIME (UTC)", "VERDICT", "RESULT", "SCENARIO");
  for (size_t i = 0; i < runs.size(); ++i) {
    const RunSummary& r = runs[i];
    row(r.id, utc(r.time_ms), to_string(r.verdict), results[i],
        fmt::format("{} ({}, seed {})", r.scenario, r.file, r.seed));
  }
}

int list(const RunsOptions& o) {
  int code = kExitOk;
  auto store = open_store(o, &code);
  if (!store) return code;
  auto runs = store->list();
  if (!runs.ok()) {
    std::fprintf(stderr, "replsim runs: %s\n", runs.status().message().c_str());
    return kExitBadInput;
  }
  std::vector<std::string> results;
  for (const auto& r : *runs) results.push_back(result_label(*store, r));
  if (o.json) print_json_list(*runs, results);
  else if (runs->empty()) std::fprintf(stderr, "replsim runs: no runs recorded in %s\n", store->dir().c_str());
  else print_table(*runs, results);
  return kExitOk;
}

// Parses a stored RunResult; "" (a side that did not run) gives nullptr.
std::unique_ptr<RunResult> stored_run(const std::string& text, const char* what, const std::string& id) {
  if (text.empty()) return nullptr;
  auto doc = nlohmann::json::parse(text, nullptr, false);
  auto run = doc.is_discarded() ? Result<RunResult>(Status::Corruption("not JSON")) : run_result_from_json(doc);
  if (!run.ok()) {
    std::fprintf(stderr, "replsim runs: run %s: unreadable %s: %s\n", id.c_str(), what, run.status().message().c_str());
    return nullptr;
  }
  return std::make_unique<RunResult>(std::move(run).value());
}

// The predicted timeline of a stored counterexample, as `replsim run` prints it; "" if the
// stored scenario or prediction cannot be read back.
std::string counterexample_timeline(const RunRecord& record, const RunResult* prediction) {
  if (prediction == nullptr) return "";
  auto scenario = parse_scenario_text(record.scenario_text, record.summary.file);
  if (!scenario.ok()) return "";
  return format_report(*scenario, *prediction, check_expectations(*scenario, *prediction));
}

// A `replsim check` counterexample: no verification, but the property, the witness, the shrunk
// scenario and its prediction.
int show_counterexample(const RunsOptions& o, const RunStore& store, const RunRecord& record) {
  const RunSummary& s = record.summary;
  const auto doc = nlohmann::json::parse(record.verification_json, nullptr, false);
  auto prediction = stored_run(record.prediction_json, "prediction", o.id);
  const std::string result = result_label(store, s);
  if (o.json) {
    const nlohmann::json out = {
        {"id", s.id},         {"time", utc(s.time_ms) + "Z"},    {"scenario", s.scenario},
        {"file", s.file},     {"seed", s.seed},                  {"verdict", to_string(s.verdict)},
        {"result", result},   {"scenario_text", record.scenario_text},
        {"counterexample", doc.is_discarded() ? nlohmann::json() : doc},
        {"prediction", prediction ? to_json(*prediction) : nlohmann::json()}};
    std::puts(out.dump(2).c_str());
    return kExitOk;
  }
  const auto field = [&](const char* key) -> std::string {
    if (!doc.is_object() || !doc.contains(key)) return "?";
    return doc[key].is_string() ? doc[key].get<std::string>() : doc[key].dump();
  };
  fmt::print("run {}, {} UTC: counterexample of {} ({})\n", s.id, utc(s.time_ms), field("property"), result);
  fmt::print("  campaign seed {}, run {}, run seed {}; written to {}\n", field("campaign_seed"), field("run"), s.seed,
             s.file);
  fmt::print("  witness: {}\n\n{}\n", field("witness"), record.scenario_text);
  fmt::print("{}", counterexample_timeline(record, prediction.get()));
  return kExitOk;
}

int show(const RunsOptions& o) {
  int code = kExitOk;
  auto store = open_store(o, &code);
  if (!store) return code;
  auto record = store->get(o.id);
  if (!record.ok()) {
    std::fprintf(stderr, "replsim runs show: %s\n", record.status().message().c_str());
    return kExitBadInput;
  }
  if (record->summary.verdict == RunSummary::Verdict::kCounterexample) return show_counterexample(o, *store, *record);
  auto doc = nlohmann::json::parse(record->verification_json, nullptr, false);
  auto verification = doc.is_discarded() ? Result<Verification>(Status::Corruption("not JSON"))
                                         : verification_from_json(doc);
  if (!verification.ok()) {
    std::fprintf(stderr, "replsim runs show: run %s: %s\n", o.id.c_str(), verification.status().message().c_str());
    return kExitBadInput;
  }
  auto prediction = stored_run(record->prediction_json, "prediction", o.id);
  auto history = stored_run(record->history_json, "history", o.id);
  const RunSummary& s = record->summary;
  if (o.json) {
    nlohmann::json out = {{"id", s.id},
                          {"time", utc(s.time_ms) + "Z"},
                          {"scenario", s.scenario},
                          {"file", s.file},
                          {"seed", s.seed},
                          {"scenario_text", record->scenario_text},
                          {"verification", doc},
                          {"prediction", prediction ? to_json(*prediction) : nlohmann::json()},
                          {"history", history ? to_json(*history) : nlohmann::json()}};
    std::puts(out.dump(2).c_str());
    return kExitOk;
  }
  std::printf("run %s, %s UTC\n", s.id.c_str(), utc(s.time_ms).c_str());
  const std::string text = render_report(*verification, prediction.get(), history.get());
  std::fwrite(text.data(), 1, text.size(), stdout);
  return kExitOk;
}

void add_runs_exit_codes(CLI::App* cmd, const std::string& ok) {
  add_exit_codes(cmd, ExitCodes().ok(ok).bad_input("bad input: an unknown id, an unreadable or damaged store"));
}

void add_runs_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<RunsOptions>();
  CLI::App* cmd = app.add_subcommand("runs", "List the recorded verify runs (replsim runs show ID prints one again)");
  cmd->require_subcommand(0, 1);
  dir_option(cmd->add_option(
      "--store", options->store,
      "Run store directory (default: $REPLSIM_HOME/runs, else $XDG_DATA_HOME/replsim/runs, else ~/.local/share/replsim/runs)"));
  cmd->add_flag("--json", options->json, "Print as one JSON array, a run per element");
  add_runs_exit_codes(cmd, "listed (also when the store holds no run)");
  CLI::App* show_cmd = cmd->add_subcommand("show", "Print one recorded run again: timelines, verdict, checks");
  show_cmd->add_option("id", options->id, "The run's id, as `replsim runs` lists it (leading zeros optional)")
      ->required()
      ->type_name("ID");
  dir_option(show_cmd->add_option("--store", options->store, "Run store directory"));
  show_cmd->add_flag("--json", options->json, "Print the stored run as one JSON document");
  add_runs_exit_codes(show_cmd, "printed");
  show_cmd->callback([options, &exit_code] { exit_code = show(*options); });
  CLI::App* repair_cmd = cmd->add_subcommand(
      "repair", "Rebuild a damaged run store's metadata (RocksDB RepairDB); reads never do this themselves");
  dir_option(repair_cmd->add_option("--store", options->store, "Run store directory"));
  add_runs_exit_codes(repair_cmd, "repaired");
  repair_cmd->callback([options, &exit_code] { exit_code = repair(*options); });
  cmd->callback([options, show_cmd, repair_cmd, &exit_code] {
    if (!show_cmd->parsed() && !repair_cmd->parsed()) exit_code = list(*options);
  });
}

}  // namespace

REPLSIM_REGISTER_COMMAND(30, add_runs_command);

}  // namespace replsim::cli
