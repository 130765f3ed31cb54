// Helpers for the harness's PostgreSQL tests: run a scenario written inline, look at the History.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "harness/scenario_runner.h"
#include "vocab/run_result.h"
#include "vocab/scenario_parser.h"

namespace replsim::harness::testing {

inline HarnessOptions test_options() {
  HarnessOptions o;
  if (const char* keep = std::getenv("REPLSIM_KEEP"); keep != nullptr && *keep == '1') o.keep = true;
  return o;
}

// Parses and runs; a harness error fails the test with the harness's message.
inline History run_text(const std::string& yaml, const HarnessOptions& options = test_options()) {
  auto scenario = parse_scenario_text(yaml, "inline.yaml");
  EXPECT_TRUE(scenario.ok()) << scenario.status().message();
  if (!scenario.ok()) return History{};
  auto history = run_scenario(*scenario, options);
  EXPECT_TRUE(history.ok()) << history.status().message();
  return history.ok() ? std::move(history).value() : History{};
}

inline History run_file(const std::string& path, const HarnessOptions& options = test_options()) {
  auto scenario = parse_scenario_file(path);
  EXPECT_TRUE(scenario.ok()) << scenario.status().message();
  if (!scenario.ok()) return History{};
  auto history = run_scenario(*scenario, options);
  EXPECT_TRUE(history.ok()) << history.status().message();
  return history.ok() ? std::move(history).value() : History{};
}

inline std::string outcome(const History& h, const std::string& label) {
  const TxRecord* tx = h.find_tx(label);
  return tx == nullptr || tx->outcomes.empty() ? "missing" : to_string(tx->outcomes[0]);
}

inline std::string presence(const History& h, const std::string& node, const std::string& label) {
  const NodeFinal* n = h.find_node(node);
  if (n == nullptr) return "no node";
  auto it = n->presence.find(label);
  return it == n->presence.end() ? "unobserved" : to_string(it->second);
}

// Everything the History says, for failure messages.
inline std::string dump(const History& h) {
  std::string out;
  for (const auto& t : h.timeline) {
    out += "step " + std::to_string(t.step) + " " + t.text + "\n";
    for (const auto& n : t.notes) out += "  note: " + n + "\n";
  }
  for (const auto& tx : h.transactions) out += "tx " + tx.label + ": " + tx.detail + "\n";
  for (const auto& n : h.nodes)
    out += "node " + n.name + ": " + to_string(n.state) + " " + n.error + " " + n.error_detail + "\n";
  for (const auto& n : h.notes) out += "note: " + n + "\n";
  return out;
}

}  // namespace replsim::harness::testing
