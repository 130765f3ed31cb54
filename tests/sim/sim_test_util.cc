#include "sim_test_util.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "vocab/scenario_parser.h"

namespace replsim::sim::testing {

Prediction run_yaml(const std::string& yaml, uint64_t seed, Perturbation p) {
  auto scenario = parse_scenario_text(yaml, "test.yaml");
  if (!scenario.ok()) {
    ADD_FAILURE() << scenario.status().message() << "\n" << yaml;
    return Prediction{};
  }
  auto prediction = simulate(*scenario, SimOptions{seed, p});
  if (!prediction.ok()) {
    ADD_FAILURE() << prediction.status().message();
    return Prediction{};
  }
  return std::move(prediction).value();
}

std::string presence(const Prediction& p, const std::string& node, const std::string& label) {
  const NodeFinal* n = p.find_node(node);
  if (n == nullptr) return "no such node";
  auto it = n->presence.find(label);
  return it == n->presence.end() ? "" : to_string(it->second);
}

std::string outcome(const Prediction& p, const std::string& label) {
  const TxRecord* tx = p.find_tx(label);
  if (tx == nullptr) return "no such transaction";
  std::vector<std::string> names;
  for (auto o : tx->outcomes) names.push_back(to_string(o));
  return fmt::format("{}", fmt::join(names, " or "));
}

std::string all_notes(const Prediction& p) {
  std::string out;
  for (const auto& e : p.timeline)
    for (const auto& n : e.notes) out += n + "\n";
  for (const auto& n : p.notes) out += n + "\n";
  return out;
}

std::string scenario(const std::string& standbys, const std::string& sync_commit, const std::string& names,
                     const std::string& steps) {
  return fmt::format(
      "name: t\ncluster:\n  primary: p\n  standbys: [{}]\n  synchronous_commit: \"{}\"\n"
      "  synchronous_standby_names: \"{}\"\nsteps:\n{}",
      standbys, sync_commit, names, steps);
}

std::string insert(const std::string& label, const std::string& node) {
  return fmt::format("  - insert: {}\n    table: customers\n    values: {{firstName: X, lastName: {}}}\n{}", label,
                     label, node.empty() ? "" : fmt::format("    node: {}\n", node));
}

}  // namespace replsim::sim::testing
