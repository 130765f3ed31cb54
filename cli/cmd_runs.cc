// `replsim runs [--store DIR] [--json]` lists the recorded verify runs (id, time, scenario,
// verdict); `replsim runs show ID [--store DIR] [--json]` prints one of them again: both
// timelines, the verdict, the history checks and the expectations, as `replsim verify` did.
// `replsim runs repair [--store DIR]` rebuilds a damaged store's metadata. Reading opens the
// store read-only. Exit 0 on success, 2 for an unknown id or an unreadable store.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>

#include "cli/command.h"
#include "verifier/report_text.h"
#include "verifier/run_store.h"
#include "verifier/verification.h"

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

int list(const RunsOptions& o) {
  int code = kExitOk;
  auto store = open_store(o, &code);
  if (!store) return code;
  auto runs = store->list();
  if (!runs.ok()) {
    std::fprintf(stderr, "replsim runs: %s\n", runs.status().message().c_str());
    return kExitBadInput;
  }
  if (o.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : *runs)
      out.push_back({{"id", r.id},
                     {"time_ms", r.time_ms},
                     {"time", utc(r.time_ms) + "Z"},
                     {"scenario", r.scenario},
                     {"file", r.file},
                     {"seed", r.seed},
                     {"verdict", to_string(r.verdict)},
                     {"passed", r.passed}});
    std::puts(out.dump(2).c_str());
    return kExitOk;
  }
  if (runs->empty()) std::fprintf(stderr, "replsim runs: no runs recorded in %s\n", store->dir().c_str());
  else std::printf("%-8s  %-19s  %-14s  %-6s  %s\n", "ID", "TIME (UTC)", "VERDICT", "RESULT", "SCENARIO");
  // VERDICT is as wide as the longest word ("counterexample"; "interrupted").
  for (const auto& r : *runs)
    std::printf("%-8s  %-19s  %-14s  %-6s  %s (%s, seed %llu)\n", r.id.c_str(), utc(r.time_ms).c_str(),
                to_string(r.verdict), r.passed ? "pass" : "FAIL", r.scenario.c_str(), r.file.c_str(),
                static_cast<unsigned long long>(r.seed));
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

int show(const RunsOptions& o) {
  int code = kExitOk;
  auto store = open_store(o, &code);
  if (!store) return code;
  auto record = store->get(o.id);
  if (!record.ok()) {
    std::fprintf(stderr, "replsim runs show: %s\n", record.status().message().c_str());
    return kExitBadInput;
  }
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

void add_runs_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<RunsOptions>();
  CLI::App* cmd = app.add_subcommand("runs", "List the recorded verify runs (replsim runs show ID prints one again)");
  cmd->require_subcommand(0, 1);
  cmd->add_option(
      "--store", options->store,
      "Run store directory (default: $REPLSIM_HOME/runs, else $XDG_DATA_HOME/replsim/runs, else ~/.local/share/replsim/runs)");
  cmd->add_flag("--json", options->json, "Print as JSON");
  CLI::App* show_cmd = cmd->add_subcommand("show", "Print one recorded run again: timelines, verdict, checks");
  show_cmd->add_option("id", options->id, "The run's id, as `replsim runs` lists it (leading zeros optional)")
      ->required();
  show_cmd->add_option("--store", options->store, "Run store directory");
  show_cmd->add_flag("--json", options->json, "Print the stored run as JSON");
  show_cmd->callback([options, &exit_code] { exit_code = show(*options); });
  CLI::App* repair_cmd = cmd->add_subcommand(
      "repair", "Rebuild a damaged run store's metadata (RocksDB RepairDB); reads never do this themselves");
  repair_cmd->add_option("--store", options->store, "Run store directory");
  repair_cmd->callback([options, &exit_code] { exit_code = repair(*options); });
  cmd->callback([options, show_cmd, repair_cmd, &exit_code] {
    if (!show_cmd->parsed() && !repair_cmd->parsed()) exit_code = list(*options);
  });
}

}  // namespace

REPLSIM_REGISTER_COMMAND(30, add_runs_command);

}  // namespace replsim::cli
