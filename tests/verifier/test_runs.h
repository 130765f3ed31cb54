// Builders for hand-made RunResults and scenarios, so verifier tests read like the
// histories they stage.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "verifier/comparison.h"
#include "vocab/run_result.h"
#include "vocab/scenario.h"
#include "vocab/scenario_parser.h"

namespace replsim::testing {

inline Scenario scenario(const std::string& yaml) {
  auto s = parse_scenario_text(yaml, "test.yaml");
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? *s : Scenario{};
}

inline TxRecord tx(const std::string& label, int step, const std::string& node, std::vector<TxOutcome> outcomes,
                   uint64_t lsn = 0) {
  TxRecord t;
  t.label = label;
  t.step = step;
  t.node = node;
  t.outcomes = std::move(outcomes);
  t.commit_lsn = Lsn{lsn};
  return t;
}

inline NodeFinal node(const std::string& name, const std::string& state,
                      std::initializer_list<std::pair<const std::string, Presence>> presence) {
  NodeFinal n;
  n.name = name;
  n.state = parse_node_state(state).value();  // The fixtures name states by their words.
  n.presence = presence;
  return n;
}

inline HistoryEvent event(HistoryEvent::Type type, int64_t time_us, const std::string& process, const std::string& node,
                          const std::string& label) {
  HistoryEvent e;
  e.type = type;
  e.time_us = time_us;
  e.process = process;
  e.node = node;
  e.label = label;
  return e;
}

constexpr Presence kPresent = Presence::kPresent;
constexpr Presence kAbsent = Presence::kAbsent;
constexpr Presence kEither = Presence::kEither;
constexpr TxOutcome kAck = TxOutcome::kAcknowledged;
constexpr TxOutcome kFailed = TxOutcome::kFailed;
constexpr TxOutcome kBlocked = TxOutcome::kBlocked;
constexpr TxOutcome kCancelled = TxOutcome::kCancelled;
constexpr TxOutcome kInDoubt = TxOutcome::kInDoubt;

// Expects `c` to report that `label` on `node` was predicted `predicted` and observed
// `observed`: the one difference a wrong model of drill 2.1 must be caught by. Against a real
// history, `with_context` also requires the history lines around it.
inline void expect_presence_difference(const Comparison& c, const std::string& label, const std::string& node,
                                       const std::string& predicted, const std::string& observed,
                                       bool with_context = false) {
  const Difference* found = nullptr;
  for (const auto& d : c.differences)
    if (d.kind == Difference::Kind::kPresence && d.label == label && d.node == node) found = &d;
  ASSERT_NE(found, nullptr) << to_json(c).dump(2);
  EXPECT_EQ(found->predicted, predicted);
  EXPECT_EQ(found->observed, observed);
  if (with_context) {
    EXPECT_FALSE(found->context.empty());
  }
}

}  // namespace replsim::testing
