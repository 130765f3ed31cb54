// harness_driver FILE [--keep] [--json] [--block-after-ms N] [--work-parent DIR]: runs one scenario file on a real cluster
// and prints the History's transactions and final states. Used by the cleanup tests (which
// signal it mid-run) and by bench/harness_bench.sh; progress lines go to stderr.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "harness/interrupt.h"
#include "harness/scenario_runner.h"
#include "vocab/scenario_parser.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: harness_driver SCENARIO.yaml [--keep] [--json] [--block-after-ms N]\n");
    return 2;
  }
  replsim::harness::HarnessOptions options;
  bool json = false;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--keep") == 0) options.keep = true;
    if (std::strcmp(argv[i], "--json") == 0) json = true;
    if (std::strcmp(argv[i], "--block-after-ms") == 0 && i + 1 < argc) options.block_after_ms = std::atoll(argv[++i]);
    if (std::strcmp(argv[i], "--work-parent") == 0 && i + 1 < argc) options.work_parent = argv[++i];
  }
  const auto start = std::chrono::steady_clock::now();
  double setup_s = 0;  // Until the first step: template, servers, data set, standbys streaming.
  options.progress = [start, &setup_s](const std::string& line) {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (setup_s == 0 && line.rfind("step 0:", 0) == 0) setup_s = s;
    std::fprintf(stderr, "harness: %7.3f s %s\n", s, line.c_str());
  };
  auto scenario = replsim::parse_scenario_file(argv[1]);
  if (!scenario.ok()) {
    std::fprintf(stderr, "%s\n", scenario.status().message().c_str());
    return 2;
  }
  auto history = replsim::harness::run_scenario(*scenario, options);
  if (!history.ok()) {
    std::fprintf(stderr, "error: %s\n", history.status().message().c_str());
    return 1;
  }
  if (json) {
    std::printf("%s\n", replsim::to_json(*history).dump(2).c_str());
    return 0;
  }
  for (const auto& t : history->timeline) {
    std::printf("step %d at %.3f s: %s\n", t.step, static_cast<double>(t.time_us) / 1e6, t.text.c_str());
  }
  for (const auto& tx : history->transactions) {
    std::printf("tx %s: %s xid=%u lsn=%s %s\n", tx.label.c_str(), replsim::to_string(tx.outcomes.at(0)), tx.xid,
                tx.commit_lsn.to_string().c_str(), tx.detail.c_str());
  }
  for (const auto& lag : history->lags) {
    std::printf("lag %s of %s: receive %lld bytes, replay %lld bytes, %lld commits, loses data: %s\n", lag.name.c_str(),
                lag.standby.c_str(), static_cast<long long>(lag.receive_lag_bytes),
                static_cast<long long>(lag.replay_lag_bytes), static_cast<long long>(lag.transactions),
                lag.failover_loses_data ? "yes" : "no");
  }
  for (const auto& n : history->nodes) {
    std::string presence;
    for (const auto& [label, p] : n.presence) presence += fmt::format(" {}={}", label, replsim::to_string(p));
    std::printf("node %s: %s tl=%u%s%s\n", n.name.c_str(), to_string(n.state), n.timeline, presence.c_str(),
                n.error.empty() ? "" : (" error=" + n.error).c_str());
  }
  for (const auto& note : history->notes) std::printf("note: %s\n", note.c_str());
  std::printf("setup %.3f s\ntotal %.3f s\n", setup_s,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return 0;
}
