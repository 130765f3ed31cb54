// `replsim check`: property campaigns over the simulator (docs/properties.md).
//
// Runs are spread over --jobs threads; each run is single-threaded and a pure function of
// (property, campaign seed, run index), and the campaign's result is its lowest counting
// run, so the printed result and the counterexample file are the same for any --jobs.
// Progress (which depends on the clock) goes to stderr; stdout is reproducible byte for byte.
//
// Exit codes: 0 when every checked guarantee held and every checked false promise was
// refuted (the teaching result); 1 when a guarantee was violated or a false promise
// survived its runs; 2 on bad input.
//
// With --real, the campaign is differential instead: each generated scenario runs on the
// simulator and on a fresh real PostgreSQL 15 cluster, one at a time, and the verifier must
// find them in agreement; the first disagreement is shrunk (each candidate a real run) and
// written like a counterexample. Exit 0 when every run agreed, 1 on a disagreement, 3 when a
// run could not finish (and none disagreed), 2 on bad input, 128 + the signal when interrupted.
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <thread>
#include <vector>

#include "cli/axis_option.h"
#include "cli/cli_conventions.h"
#include "cli/command.h"
#include "cli/html_timeline.h"
#include "cli/pg_bindir_option.h"
#include "cli/terminal_filter.h"
#include "cli/timing_option.h"
#include "harness/interrupt.h"
#include "harness/scenario_runner.h"
#include "sim/campaign/campaign.h"
#include "sim/campaign/differential.h"
#include "sim/campaign/scenario_writer.h"
#include "verifier/differential_tally.h"
#include "verifier/report_text.h"
#include "verifier/run_store.h"
#include "verifier/verification.h"

namespace replsim::cli {
namespace {

using campaign::CampaignOptions;
using campaign::Property;
using campaign::PropertyKind;
using campaign::PropertyReport;

struct CheckArgs {
  std::vector<std::string> properties;
  int64_t runs = 1000;
  uint64_t seed = 1;
  int jobs = 0;  // 0: every core.
  int max_steps = 30;
  std::string out = ".replsim/counterexamples";
  std::string html;  // --html: the timeline page of each counterexample.
  bool list = false;
  bool json = false;
  bool real = false;
  bool runs_given = false, max_steps_given = false;
  int shrink_budget = 30;  // --real: real-cluster runs the shrinker may spend.
  // --real --keep-going: run every run, shrink and record every disagreement.
  bool keep_going = false;
  std::string timing;     // --timing FILE; empty: the shipped default.
  std::string pg_bindir;  // --pg-bindir DIR (with --real).
};

// Shared between the workers of one property's campaign and the progress printer.
struct Shared {
  std::atomic<int64_t> first_counting{std::numeric_limits<int64_t>::max()};
  std::atomic<int64_t> done{0};
  std::atomic<int64_t> counting{0};
  std::vector<uint8_t> flags;  // Per run: bit 0 done, 1 applicable, 2 possibly violated. One writer per slot.
};

constexpr uint8_t kDone = 1, kApplicable = 2, kPossible = 4;

// Worker `w` of `jobs` takes runs w, w + jobs, ... in increasing order and stops past the
// lowest counting run known, so every run below the final lowest one is done.
void work(const Property& p, const CampaignOptions& options, int w, int jobs, Shared& shared) {
  for (int64_t run = w; run < options.runs; run += jobs) {
    if (run > shared.first_counting.load(std::memory_order_relaxed)) return;
    const auto out = campaign::run_once(p, options, run);
    uint8_t f = kDone;
    if (out.verdict.applicable) f |= kApplicable;
    if (out.verdict.kind == campaign::Verdict::Kind::kPossiblyViolated) f |= kPossible;
    shared.flags[static_cast<size_t>(run)] = f;
    if (out.counts) {
      shared.counting.fetch_add(1);
      int64_t seen = shared.first_counting.load();
      while (run < seen && !shared.first_counting.compare_exchange_weak(seen, run)) {
      }
    }
    shared.done.fetch_add(1, std::memory_order_relaxed);
  }
}

void show_progress(const Property& p, const Shared& shared, int64_t runs, double seconds, bool tty, bool last) {
  const int64_t done = shared.done.load();
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  if (tty) {
    constexpr int kWidth = 30;
    const int filled = runs > 0 ? static_cast<int>(kWidth * std::min(done, runs) / runs) : kWidth;
    write_terminal_control(STDERR_FILENO, "\r\033[K");  // Trusted: past the terminal filter.
    std::fprintf(stderr, "%-40s [%s%s] %lld/%lld runs  %.0f runs/s  failures: %lld%s", p.name.c_str(),
                 std::string(static_cast<size_t>(filled), '#').c_str(),
                 std::string(static_cast<size_t>(kWidth - filled), '.').c_str(), static_cast<long long>(done),
                 static_cast<long long>(runs), rate, static_cast<long long>(shared.counting.load()), last ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s: %lld/%lld runs, %.0f runs/s, %lld failures%s\n", p.name.c_str(),
                 static_cast<long long>(done), static_cast<long long>(runs), rate,
                 static_cast<long long>(shared.counting.load()), last ? " (done)" : "");
  }
  std::fflush(stderr);
}

PropertyReport run_parallel(const Property& p, const CampaignOptions& options, int jobs) {
  campaign::keep_large_blocks_in_heap();
  Shared shared;
  shared.flags.assign(static_cast<size_t>(options.runs), 0);
  const bool tty = isatty(STDERR_FILENO) != 0;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int w = 0; w < jobs; ++w)
    workers.emplace_back(work, std::cref(p), std::cref(options), w, jobs, std::ref(shared));
  std::thread progress([&] {
    auto last_line = start;
    while (shared.done.load() < options.runs && shared.first_counting.load() == std::numeric_limits<int64_t>::max()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      const auto now = std::chrono::steady_clock::now();
      // A terminal redraws ten times a second; a log gets a line every five seconds.
      if (tty || now - last_line >= std::chrono::seconds(5)) {
        show_progress(p, shared, options.runs, std::chrono::duration<double>(now - start).count(), tty, false);
        last_line = now;
      }
    }
  });
  for (auto& t : workers) t.join();
  progress.join();
  show_progress(p, shared, options.runs,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), tty, true);

  PropertyReport report;
  report.property = &p;
  const int64_t first = shared.first_counting.load();
  // No counting run: first is INT64_MAX, and first + 1 would overflow (the sanitized `replsim
  // check` in CI, tests/campaign/CMakeLists.txt, aborted on it for every such property).
  const bool found = first != std::numeric_limits<int64_t>::max();
  const int64_t end = found ? first + 1 : options.runs;
  for (int64_t run = 0; run < end; ++run) {
    const uint8_t f = shared.flags[static_cast<size_t>(run)];
    report.runs += (f & kDone) ? 1 : 0;
    report.applicable += (f & kApplicable) ? 1 : 0;
    report.possible += (f & kPossible) ? 1 : 0;
  }
  if (found) {
    report.first_counting_run = first;
    std::fprintf(stderr, "%s: shrinking run %lld ...\n", p.name.c_str(), static_cast<long long>(first));
    report.counterexample = campaign::shrink_run(p, options, first);
  }
  return report;
}

std::string verdict_word(const PropertyReport& r) {
  if (!r.error.empty()) return "unavailable";
  if (r.property->kind == PropertyKind::kGuarantee) return r.first_counting_run ? "violated" : "held";
  return r.first_counting_run ? "refuted" : "not-refuted";
}

std::string write_counterexample(const CheckArgs& args, const campaign::Counterexample& c, std::string* error) {
  std::error_code ec;
  std::filesystem::create_directories(args.out, ec);
  const auto path = std::filesystem::path(args.out) / fmt::format("{}-seed-{}.yaml", c.property, args.seed);
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << c.yaml;
  file.close();
  if (ec || !file) *error = fmt::format("cannot write {}", path.string());
  return path.string();
}

// Records a counterexample in the run store beside `replsim verify`'s runs, so that
// `replsim runs` lists it; verdict "counterexample". A store that cannot be opened (another
// replsim holds it) costs a warning, never the campaign's result.
// A failed run's record, stamped now; the caller fills in what it knows.
RunRecord failed_record(const std::string& scenario, const std::string& file, uint64_t seed,
                        RunSummary::Verdict verdict, const std::string& yaml) {
  RunRecord record;
  record.summary.time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  record.summary.scenario = scenario;
  record.summary.file = file;
  record.summary.seed = seed;
  record.summary.verdict = verdict;
  record.summary.passed = false;
  record.scenario_text = yaml;
  return record;
}

// Adds `record` to the run store; a store that cannot be opened costs a warning only.
void add_to_store(const RunRecord& record) {
  auto store = RunStore::open(RunStore::default_dir());
  if (!store.ok()) {
    fmt::print(stderr, "replsim check: not recorded in the run store: {}\n", store.status().message());
    return;
  }
  if (auto id = (*store)->add(record); id.ok()) fmt::print(stderr, "replsim check: recorded as run {}\n", *id);
  else fmt::print(stderr, "replsim check: not recorded in the run store: {}\n", id.status().message());
}

// `expected`: the counterexample refutes a false promise, as documented (check exits 0): the
// record is a pass, and `replsim runs` says "refuted as expected".
void record_counterexample(const campaign::Counterexample& c, const std::string& file, bool expected) {
  RunRecord record = failed_record(c.scenario.name, file, c.run_seed, RunSummary::Verdict::kCounterexample, c.yaml);
  record.summary.passed = expected;
  sim::SimOptions options;
  options.seed = c.run_seed;
  options.timing = selected_timing();
  if (auto prediction = sim::simulate(c.scenario, options); prediction.ok())
    record.prediction_json = to_json(*prediction).dump();
  record.verification_json = nlohmann::json{
      {"property", c.property},
      {"campaign_seed", c.campaign_seed},
      {"run", c.run},
      {"witness",
       c.verdict.witness}}.dump();
  add_to_store(record);
}

// The timeline page of a counterexample: the shrunk scenario simulated with its run's seed,
// under a banner naming the property and the witness. Returns the error, empty on success.
std::string write_counterexample_page(const std::string& path, const campaign::Counterexample& c,
                                      const std::string& yaml_file) {
  sim::SimOptions options;
  options.seed = c.run_seed;
  options.timing = selected_timing();
  auto prediction = sim::simulate(c.scenario, options);
  if (!prediction.ok())
    return fmt::format("cannot simulate the counterexample for {}: {}", path, prediction.status().message());
  if (Status s = write_counterexample_html(path, c.property, c.verdict.witness, yaml_file, c.scenario, *prediction,
                                           selected_axis());
      !s.ok())
    return s.message();
  return "";
}

void print_text(const PropertyReport& r, const std::string& file, const std::string& page, int max_steps) {
  const Property& p = *r.property;
  const std::string word = verdict_word(r);
  if (!r.error.empty()) {
    fmt::print("SKIP  {} ({}): {}\n", p.name, to_string(p.kind), p.unavailable);
    return;
  }
  const bool ok = r.as_expected();
  fmt::print("{}  {} ({}): {} after {} runs ({} applicable{})\n", ok ? "OK  " : "FAIL", p.name, to_string(p.kind), word,
             r.runs, r.applicable,
             r.possible > 0 ? fmt::format(", {} with a timing-dependent violation", r.possible) : "");
  if (!r.counterexample) return;
  const auto& c = *r.counterexample;
  fmt::print("      run {} (seed {:#x}): {}\n", c.run, c.run_seed, c.verdict.witness);
  fmt::print("      shrunk from {} to {} steps in {} simulator runs; written to {}\n", c.original_steps,
             c.scenario.steps.size(), c.shrink_runs, file);
  if (!page.empty()) fmt::print("      timeline page: {}\n", page);
  fmt::print("      reproduce: replsim check --property {} --seed {} --runs {} --max-steps {}\n", p.name,
             c.campaign_seed, c.run + 1, max_steps);
  fmt::print("\n{}\n", c.yaml);
}

nlohmann::json to_json(const PropertyReport& r, const std::string& file, const std::string& page) {
  const Property& p = *r.property;
  nlohmann::json j = {{"name", p.name},
                      {"kind", to_string(p.kind)},
                      {"sentence", p.sentence},
                      {"result", verdict_word(r)},
                      {"as_expected", r.as_expected()},
                      {"runs", r.runs},
                      {"applicable", r.applicable},
                      {"possible", r.possible}};
  if (!r.error.empty()) j["unavailable"] = p.unavailable;
  if (r.counterexample) {
    const auto& c = *r.counterexample;
    j["counterexample"] = {{"run", c.run},
                           {"run_seed", c.run_seed},
                           {"original_steps", c.original_steps},
                           {"steps", c.scenario.steps.size()},
                           {"shrink_runs", c.shrink_runs},
                           {"file", file},
                           {"witness", c.verdict.witness},
                           {"yaml", c.yaml}};
    if (!page.empty()) j["counterexample"]["html"] = page;
  }
  return j;
}

void list_properties(bool json) {
  nlohmann::json all = nlohmann::json::array();
  for (const Property& p : campaign::all_properties()) {
    if (json) {
      all.push_back({{"name", p.name},
                     {"kind", to_string(p.kind)},
                     {"sentence", p.sentence},
                     {"checkable", p.unavailable.empty()},
                     {"unavailable", p.unavailable}});
    } else {
      fmt::print("{:<40} {:<13} {}\n", p.name, to_string(p.kind), p.sentence);
      if (!p.unavailable.empty()) fmt::print("{:<40} {:<13} (not checkable: {})\n", "", "", p.unavailable);
    }
  }
  if (json) fmt::print("{}\n", all.dump(2));
}

// --- Differential campaigns on a real cluster (--real).

// One scenario on both sides, judged by the verifier (as `replsim verify` does).
struct BothSides {
  Verification verification;
  std::unique_ptr<Prediction> prediction;
  std::unique_ptr<History> history;
};

// How every real run of a --real campaign builds its cluster (--pg-bindir); set before the first.
harness::HarnessOptions& real_harness_options() {
  static harness::HarnessOptions options;
  return options;
}

BothSides run_both_sides(const Scenario& scenario, uint64_t seed) {
  BothSides out;
  auto prediction = sim::simulate(scenario, sim::SimOptions{.seed = seed, .timing = selected_timing()});
  if (!prediction.ok()) {
    out.verification = verification_error(scenario, seed, "simulator: " + prediction.status().message());
    return out;
  }
  out.prediction = std::make_unique<Prediction>(std::move(prediction).value());
  auto history = harness::run_scenario(scenario, real_harness_options());
  if (!history.ok()) {
    out.verification = verification_error(scenario, seed, "harness: " + history.status().message());
    return out;
  }
  out.history = std::make_unique<History>(std::move(history).value());
  out.verification = verify_runs(scenario, *out.prediction, *out.history);
  out.verification.seed = seed;
  return out;
}

void record_disagreement(const BothSides& both, const std::string& yaml, const std::string& file, uint64_t seed) {
  RunRecord record = failed_record(both.verification.scenario, file, seed, run_verdict(both.verification.verdict),
                                   yaml);
  if (both.prediction) record.prediction_json = to_json(*both.prediction).dump();
  if (both.history) record.history_json = to_json(*both.history).dump();
  record.verification_json = to_json(both.verification).dump();
  add_to_store(record);
}

// Shrinks run `run`'s disagreement (`first`, on `original`), writes and records it, prints
// it. A disagreement that no rerun reproduces (timing on a loaded machine, or a harness
// fault) is still reported, with the original scenario and verdict, and said to be so.
// Returns false if the file could not be written.
bool report_disagreement(const CheckArgs& args, const campaign::DifferentialOptions& options, int64_t run,
                         const Scenario& original, const BothSides& first) {
  const uint64_t seed = campaign::differential_seed(options, run);
  fmt::print("FAIL  run {} (seed {:#x}): the simulator and PostgreSQL disagree\n{}\n", run, seed,
             render_verdict(first.verification));
  std::fprintf(stderr, "replsim check --real: shrinking run %lld (at most %d real runs) ...\n",
               static_cast<long long>(run), options.shrink_budget);
  // INCOMPLETE (a prediction PostgreSQL could not show) is shrunk like DISAGREE: to the same verdict.
  const Verification::Verdict wrong = first.verification.verdict;
  const auto disagrees = [seed, wrong](const Scenario& candidate) {
    return run_both_sides(candidate, seed).verification.verdict == wrong;
  };
  campaign::ShrinkResult shrunk = campaign::shrink_disagreement(options, run, disagrees);
  const BothSides last = run_both_sides(shrunk.scenario, seed);
  const bool reproduced = last.verification.verdict == wrong;
  const Scenario& shown = reproduced ? shrunk.scenario : original;
  const BothSides& judged = reproduced ? last : first;
  std::string yaml = fmt::format(
      "# Disagreement between the simulator and PostgreSQL 15: run {} of the differential campaign,\n"
      "# {}.\n"
      "# Reproduce the campaign: replsim check --real --seed {} --runs {} --max-steps {}\n"
      "# Replay it: replsim verify --seed {} FILE\n",
      run,
      reproduced ? fmt::format("shrunk from {} to {} steps in {} real runs", original.steps.size(), shown.steps.size(),
                               shrunk.runs)
                 : fmt::format("not reproduced by {} reruns of it and its shrinks (timing-dependent); as generated",
                               shrunk.runs + 1),
      options.seed, run + 1, options.max_steps, seed);
  yaml += campaign::write_scenario(shown);
  std::error_code ec;
  std::filesystem::create_directories(args.out, ec);
  const auto path = std::filesystem::path(args.out) / fmt::format("disagreement-seed-{}.yaml", options.seed);
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << yaml;
  file.close();
  if (ec || !file) {
    fmt::print(stderr, "replsim check: cannot write {}\n", path.string());
    return false;
  }
  record_disagreement(judged, yaml, path.string(), seed);
  if (reproduced) fmt::print("      shrunk:\n{}\n", render_verdict(last.verification));
  fmt::print("      written to {}\n\n{}\n", path.string(), yaml);
  return true;
}

// --- --real --keep-going: every run, every disagreement shrunk and recorded, the agreement rate.

// The differences of a disagreement, one sentence each.
std::vector<std::string> difference_sentences(const Verification& v) {
  std::vector<std::string> out;
  for (const Difference& d : v.comparison.differences) out.push_back(d.explanation);
  return out;
}

// Writes `d.yaml` to its own file (one per run: a campaign that keeps going finds several);
// sets d.file, or leaves it empty with the reason on stderr.
void write_recorded(const CheckArgs& args, RecordedDisagreement& d) {
  std::error_code ec;
  std::filesystem::create_directories(args.out, ec);
  const auto path = std::filesystem::path(args.out) / fmt::format("disagreement-seed-{}-run-{}.yaml", args.seed, d.run);
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << d.yaml;
  file.close();
  if (ec || !file) fmt::print(stderr, "replsim check: cannot write {}\n", path.string());
  else d.file = path.string();
}

// Shrinks run `run`'s disagreement (`first`, on `original`) as report_disagreement does, and
// returns it recorded (written to --out and to the run store) instead of printing it.
RecordedDisagreement shrink_recorded(const CheckArgs& args, const campaign::DifferentialOptions& options, int64_t run,
                                     const Scenario& original, const BothSides& first) {
  RecordedDisagreement d;
  d.run = run;
  d.seed = campaign::differential_seed(options, run);
  d.scenario = original.name;
  d.differences = difference_sentences(first.verification);
  d.original_steps = original.steps.size();
  std::fprintf(stderr, "replsim check --real: shrinking run %lld (at most %d real runs) ...\n",
               static_cast<long long>(run), options.shrink_budget);
  const uint64_t seed = d.seed;
  const auto disagrees = [seed](const Scenario& candidate) {
    return run_both_sides(candidate, seed).verification.verdict == Verification::Verdict::kDisagree;
  };
  campaign::ShrinkResult shrunk = campaign::shrink_disagreement(options, run, disagrees);
  const BothSides last = run_both_sides(shrunk.scenario, seed);
  d.reproduced = last.verification.verdict == Verification::Verdict::kDisagree;
  d.shrink_runs = shrunk.runs;
  const Scenario& shown = d.reproduced ? shrunk.scenario : original;
  d.steps = shown.steps.size();
  if (d.reproduced) d.shrunk_differences = difference_sentences(last.verification);
  d.yaml = fmt::format(
      "# Disagreement between the simulator and PostgreSQL 15: run {} of the differential campaign,\n"
      "# {}.\n"
      "# Reproduce the campaign: replsim check --real --keep-going --seed {} --runs {} --max-steps {}\n"
      "# Replay it: replsim verify --seed {} FILE\n",
      run,
      d.reproduced ? fmt::format("shrunk from {} to {} steps in {} real runs", d.original_steps, d.steps, d.shrink_runs)
                   : fmt::format("not reproduced by {} reruns of it and its shrinks (timing-dependent); as generated",
                                 d.shrink_runs + 1),
      options.seed, run + 1, options.max_steps, seed);
  d.yaml += campaign::write_scenario(shown);
  write_recorded(args, d);
  record_disagreement(d.reproduced ? last : first, d.yaml, d.file, seed);
  return d;
}

void print_recorded(const RecordedDisagreement& d) {
  fmt::print("FAIL  run {} (seed {:#x}, {}): the simulator and PostgreSQL disagree\n", d.run, d.seed, d.scenario);
  for (const auto& s : d.differences) fmt::print("      - {}\n", s);
  if (d.reproduced) {
    fmt::print("      shrunk from {} to {} steps ({} real runs); it still disagrees:\n", d.original_steps, d.steps,
               d.shrink_runs);
    for (const auto& s : d.shrunk_differences) fmt::print("      - {}\n", s);
  } else {
    fmt::print("      not reproduced by {} reruns (timing-dependent): kept as generated\n", d.shrink_runs + 1);
  }
  fmt::print("      written to {}\n\n{}\n", d.file.empty() ? "(nowhere: see stderr)" : d.file, d.yaml);
}

// One run of the campaign judged and counted into `tally`; a disagreement is shrunk and
// recorded, and (without --json) printed at once.
void keep_going_run(const CheckArgs& args, const campaign::DifferentialOptions& options, int64_t run, int64_t runs,
                    DifferentialTally& tally) {
  const uint64_t seed = campaign::differential_seed(options, run);
  auto scenario = campaign::differential_scenario(options, run);
  if (!scenario.ok()) {  // A generator bug: the written file does not parse.
    Verification v;
    v.verdict = Verification::Verdict::kError;
    tally.add(v);
    tally.add_error({run, seed, fmt::format("differential-{}-{}", options.seed, run),
                     "the generated scenario does not parse: " + scenario.status().message()});
    return;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const BothSides both = run_both_sides(*scenario, seed);
  const Verification& v = both.verification;
  tally.add(v);
  std::fprintf(stderr, "[%lld/%lld] %s: %s (%zu steps, %.1f s); %lld agreed so far\n", static_cast<long long>(run + 1),
               static_cast<long long>(runs), scenario->name.c_str(), to_string(v.verdict), scenario->steps.size(),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
               static_cast<long long>(tally.agreed()));
  if (v.verdict == Verification::Verdict::kAgree) return;
  if (v.verdict == Verification::Verdict::kError) {
    tally.add_error({run, seed, scenario->name, v.error});
    if (!args.json)
      fmt::print("ERROR run {} ({}): {}\n{}\n", run, scenario->name, v.error, campaign::write_scenario(*scenario));
    return;
  }
  RecordedDisagreement d = shrink_recorded(args, options, run, *scenario, both);
  if (!args.json) print_recorded(d);
  tally.add_disagreement(std::move(d));
}

int run_real_keep_going(const CheckArgs& args) {
  campaign::DifferentialOptions options;
  options.seed = args.seed;
  if (args.max_steps_given) options.max_steps = args.max_steps;
  options.shrink_budget = args.shrink_budget;
  const int64_t runs = args.runs_given ? args.runs : 20;
  if (!args.json)
    fmt::print(
        "replsim check --real --keep-going: seed {}, {} runs on the simulator and on PostgreSQL 15, at most {} steps\n",
        args.seed, runs, options.max_steps);
  const auto start = std::chrono::steady_clock::now();
  DifferentialTally tally;
  for (int64_t run = 0; run < runs; ++run) keep_going_run(args, options, run, runs, tally);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const bool all_agreed = tally.agreed() == tally.runs();
  // A disagreement is a failed check; runs that only could not run are "could not run".
  const bool only_errors = tally.disagreed() == 0 && tally.incomplete() == 0;
  const int code = all_agreed ? kExitOk : only_errors ? kExitCouldNotRun : kExitCheckFailed;
  if (args.json) {
    nlohmann::json doc = to_json(tally);
    doc["seed"] = args.seed;
    doc["max_steps"] = options.max_steps;
    doc["seconds"] = seconds;
    doc["exit_code"] = code;
    fmt::print("{}\n", doc.dump(2));
  } else {
    fmt::print("{}  {} ({:.0f} s)\n", all_agreed ? "OK  " : "FAIL", tally.summary(), seconds);
  }
  return code;
}

int run_real(const CheckArgs& args) {
  if (args.keep_going) return run_real_keep_going(args);
  campaign::DifferentialOptions options;
  options.seed = args.seed;
  if (args.max_steps_given) options.max_steps = args.max_steps;
  options.shrink_budget = args.shrink_budget;
  const int64_t runs = args.runs_given ? args.runs : 20;
  fmt::print("replsim check --real: seed {}, {} runs on the simulator and on PostgreSQL 15, at most {} steps\n",
             args.seed, runs, options.max_steps);
  const auto start = std::chrono::steady_clock::now();
  for (int64_t run = 0; run < runs; ++run) {
    auto scenario = campaign::differential_scenario(options, run);
    if (!scenario.ok()) {  // A generator bug: the written file does not parse.
      fmt::print("FAIL  run {}: the generated scenario does not parse: {}\n", run, scenario.status().message());
      return kExitCheckFailed;
    }
    const auto t0 = std::chrono::steady_clock::now();
    const BothSides both = run_both_sides(*scenario, campaign::differential_seed(options, run));
    const Verification& v = both.verification;
    std::fprintf(stderr, "[%lld/%lld] %s: %s (%zu steps, %.1f s)\n", static_cast<long long>(run + 1),
                 static_cast<long long>(runs), scenario->name.c_str(), to_string(v.verdict), scenario->steps.size(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (v.verdict == Verification::Verdict::kAgree) continue;
    if (v.verdict == Verification::Verdict::kError) {  // The harness or the simulator could not run it.
      fmt::print("FAIL  run {}: {}\n{}\n", run, v.error, campaign::write_scenario(*scenario));
      const int signal = harness::interrupt_signal();
      return signal != 0 ? 128 + signal : kExitCouldNotRun;
    }
    return report_disagreement(args, options, run, *scenario, both) ? kExitCheckFailed : kExitBadInput;
  }
  fmt::print("OK    {} runs agreed ({:.0f} s)\n", runs,
             std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return kExitOk;
}

// The properties named by --property (all of them when none is named); false, with the reason
// on stderr, for an unknown name or one that cannot be checked yet.
bool choose_properties(const std::vector<std::string>& names, std::vector<const Property*>* chosen) {
  for (const auto& name : names) {
    const Property* p = campaign::find_property(name);
    if (p == nullptr) {
      std::vector<std::string> known;
      for (const auto& q : campaign::all_properties()) known.push_back(q.name);
      fmt::print(stderr, "replsim check: unknown property '{}'; expected one of: {}\n", name, fmt::join(known, ", "));
      return false;
    }
    if (!p->unavailable.empty()) {
      fmt::print(stderr, "replsim check: {} is not checkable yet: {}\n", p->name, p->unavailable);
      return false;
    }
    chosen->push_back(p);
  }
  if (chosen->empty())
    for (const auto& p : campaign::all_properties()) chosen->push_back(&p);
  return true;
}

// Writes, records and prints one property's result (into `doc` with --json); `count` is how
// many properties the campaign checks, for naming the pages. False, with the reason on stderr,
// if a counterexample's file or page cannot be written.
bool report_property(const CheckArgs& args, const PropertyReport& report, size_t count, nlohmann::json& doc) {
  std::string file, error;
  if (report.counterexample) file = write_counterexample(args, *report.counterexample, &error);
  if (!error.empty()) {
    fmt::print(stderr, "replsim check: {}\n", error);
    return false;
  }
  std::string page;
  if (report.counterexample && !args.html.empty()) {
    page = html_path_for(args.html, report.counterexample->scenario.name, count);
    if (const std::string html_error = write_counterexample_page(page, *report.counterexample, file);
        !html_error.empty()) {
      fmt::print(stderr, "replsim check: {}\n", html_error);
      return false;
    }
  }
  if (report.counterexample) record_counterexample(*report.counterexample, file, report.as_expected());
  if (args.json) doc["properties"].push_back(to_json(report, file, page));
  else print_text(report, file, page, args.max_steps);
  return true;
}

int run_check(const CheckArgs& args) {
  if (args.keep_going && !args.real) {
    fmt::print(stderr, "replsim check: --keep-going goes with --real\n");
    return kExitBadInput;
  }
  if (args.real) {
    // --json reports a campaign that keeps going (one document at the end).
    if (!args.properties.empty() || args.list || (args.json && !args.keep_going) || !args.html.empty()) {
      fmt::print(
          stderr,
          "replsim check: --real runs a differential campaign; it takes no --property, --list, --html, or --json without --keep-going\n");
      return kExitBadInput;
    }
    if (!pg_binaries_present(args.pg_bindir, "check --real")) return kExitCouldNotRun;
    real_harness_options().bindir = args.pg_bindir;
    return run_real(args);
  }
  if (args.list) {
    list_properties(args.json);
    return kExitOk;
  }
  std::vector<const Property*> chosen;
  if (!choose_properties(args.properties, &chosen)) return kExitBadInput;
  CampaignOptions options;
  options.seed = args.seed;
  options.runs = args.runs;
  options.max_steps = args.max_steps;
  options.timing = selected_timing();
  const int jobs = args.jobs > 0 ? args.jobs : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  // The job count goes to stderr: stdout must not depend on it.
  fmt::print(stderr, "replsim check: {} jobs\n", jobs);
  if (!args.json)
    fmt::print("replsim check: seed {}, {} runs per property, at most {} steps\n", args.seed, args.runs,
               args.max_steps);

  bool all_expected = true;
  nlohmann::json doc = {
      {"seed", args.seed}, {"runs", args.runs}, {"max_steps", args.max_steps}, {"properties", nlohmann::json::array()}};
  for (const Property* p : chosen) {
    PropertyReport report;
    if (!p->unavailable.empty()) {
      report.property = p;
      report.error = p->unavailable;
    } else {
      report = run_parallel(*p, options, jobs);
      all_expected &= report.as_expected();
    }
    if (!report_property(args, report, chosen.size(), doc)) return kExitBadInput;
  }
  const int code = all_expected ? kExitOk : kExitCheckFailed;
  if (args.json) {
    doc["exit_code"] = code;
    fmt::print("{}\n", doc.dump(2));
  } else {
    fmt::print("{}\n", all_expected ? "every guarantee held and every false promise was refuted"
                                    : "some property did not behave as documented (see FAIL above)");
  }
  return code;
}

void add_check_exit_codes(CLI::App* cmd) {
  add_exit_codes(cmd,
                 ExitCodes()
                     .ok("every checked guarantee held and every checked false promise was refuted as "
                         "documented (with --real: every run agreed)")
                     .check_failed("a guarantee was violated, a false promise survived its runs, or (--real) a run "
                                   "disagreed")
                     .could_not_run("with --real: PostgreSQL missing or failing (and no run disagreed)")
                     .interruptible());
}

void add_check_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<CheckArgs>();
  CLI::App* cmd = app.add_subcommand(
      "check", "Run a property campaign over generated scenarios; shrink and save each counterexample");
  cmd->add_option("--property", args->properties, "Property to check (repeatable; default: all; see --list)")
      ->type_name("NAME");
  cmd->add_option("--runs", args->runs, "Generated scenarios per property (default 1000; with --real, 20)")
      ->check(CLI::Range(int64_t{1}, int64_t{100'000'000}));
  whole_number_option(
      cmd->add_option("--seed", args->seed, "Campaign seed: the same seed reproduces the same campaign"));
  cmd->add_option("--jobs", args->jobs, "Threads (default: every core); the result does not depend on it")
      ->check(CLI::Range(0, 1024));
  cmd->add_option("--max-steps", args->max_steps, "Step intents per generated scenario (default 30; with --real, 8)")
      ->check(CLI::Range(1, 10'000));
  dir_option(cmd->add_option("--out", args->out, "Directory for counterexample files"));
  auto* html = cmd->add_option(
      "--html", args->html,
      "Write each counterexample's timeline page (self-contained HTML: the shrunk scenario as the "
      "simulator runs it, one lane per node, the lost or wrongly visible transaction marked) to FILE; "
      "with several properties, one page each, named FILE with the scenario's name before the extension");
  file_option(html);
  cmd->add_flag("--list", args->list, "List the properties and exit");
  cmd->add_flag("--json", args->json, "Print the report as JSON");
  cmd->add_flag("--real", args->real,
                "Differential campaign: run each generated scenario on the simulator and on a fresh real PostgreSQL "
                "15 cluster, one at a time; the verifier must find them in agreement, and the first disagreement is "
                "shrunk and written to --out. Exit 0 all agreed, 1 a disagreement, 2 bad input, 3 a run could not run "
                "(PostgreSQL missing or failing)");
  cmd->add_flag("--keep-going", args->keep_going,
                "With --real: run all --runs instead of stopping at the first disagreement; shrink and record each "
                "(one file per run in --out), and report the agreement rate and the share of determinate presence "
                "predictions (with --json, as one JSON document). Exit 1 if any run disagreed or could not run");
  cmd->add_option("--shrink-budget", args->shrink_budget, "With --real: real runs the shrinker may spend")
      ->check(CLI::Range(0, 10'000));
  add_check_exit_codes(cmd);
  add_timing_option(cmd, &args->timing);
  add_axis_option(cmd);
  add_pg_bindir_option(cmd, &args->pg_bindir, "With --real: ");
  cmd->callback([args, cmd, &exit_code] {
    if (!select_timing(args->timing)) {
      exit_code = kExitBadInput;
      return;
    }
    args->runs_given = cmd->count("--runs") > 0;
    args->max_steps_given = cmd->count("--max-steps") > 0;
    exit_code = run_check(*args);
  });
}

}  // namespace

REPLSIM_REGISTER_COMMAND(50, add_check_command);

}  // namespace replsim::cli
