// ScenarioWriter: a Scenario back to the scenario language (docs/scenario.md), so that
// generated and shrunk scenarios are ordinary files that `replsim run` and `replsim verify`
// read. The contract is a round trip: parse_scenario_text(write_scenario(s)) yields a
// Scenario equal to `s` (same_scenario below), which is also how generated scenarios are
// validated against the parser's own rules.
#pragma once

#include <string>

#include "vocab/scenario.h"
#include "vocab/status.h"

namespace replsim::campaign {

// YAML text of `scenario`: cluster settings that differ from ClusterSpec's defaults, then
// one step per list item, then the expectations. Values are always double-quoted, so any
// text survives the round trip.
std::string write_scenario(const Scenario& scenario);

// `scenario` as a file would give it: written, then parsed back with the parser's own
// rules (so steps carry their texts). An error when the parser refuses it.
Result<Scenario> round_trip(const Scenario& scenario);

// Equality of everything a scenario file says (not where it said it: file, positions and
// the echoed texts are ignored). When they differ and `difference` is not null, it names
// the first difference ("steps[3].node: 's1' vs 's2'").
bool same_scenario(const Scenario& a, const Scenario& b, std::string* difference = nullptr);

}  // namespace replsim::campaign
