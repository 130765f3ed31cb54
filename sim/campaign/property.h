// Properties of PostgreSQL 15 replication that campaigns check over generated scenarios.
// Each is named, stated in one sentence, and documented in docs/properties.md with the
// guarantee (or the CAP trade-off) it states. Two kinds:
//  - guarantees PostgreSQL makes: a determinate violation is a bug in the model (or in
//    PostgreSQL); "either" outcomes never count as violations;
//  - false promises PostgreSQL does not make, stated as if it did: the campaign must refute
//    them, and a refutation counts only when it is determinate (it then reproduces on a real
//    cluster: where timing alone would decide, a disk stall makes the loss certain).
#pragma once

#include <string>
#include <vector>

#include "sim/campaign/scenario_gen.h"
#include "sim/simulator.h"
#include "vocab/run_result.h"
#include "vocab/scenario.h"

namespace replsim::campaign {

enum class PropertyKind { kGuarantee, kFalsePromise };
const char* to_string(PropertyKind kind);

// What one (Scenario, Prediction) pair says about a property.
struct Verdict {
  enum class Kind {
    kHolds,             // Nothing contradicts it (including: its precondition did not arise).
    kPossiblyViolated,  // A violation under some timing only ("either").
    kViolated,          // A determinate violation.
  };
  Kind kind = Kind::kHolds;
  bool applicable = false;  // The property's precondition arose in this scenario.
  std::string witness;      // One sentence: which transaction, where, why it contradicts.
  // Expectations that state the violation in the scenario language, so that the shrunk file
  // fails the same way under `replsim run` and `replsim verify`.
  std::vector<Expectation> expectations;
};

// Everything a property may look at. `scenario` and `prediction` must outlive the call.
struct Evaluation {
  const Scenario& scenario;
  const Prediction& prediction;
  const sim::SimOptions& options;  // For properties that re-run the simulator (determinism).
};

struct Property {
  std::string name;
  PropertyKind kind = PropertyKind::kGuarantee;
  std::string sentence;  // The claim, as a sentence.
  Profile profile;       // Where its generated scenarios come from.
  // Not checkable with the current simulator: why (empty when checkable).
  std::string unavailable;
  Verdict (*check)(const Evaluation& evaluation) = nullptr;
  // Whether the scenario's text alone lets the precondition arise (a promotion of the right
  // standby, a cancel step, a crash of the primary); nullptr: always. When it returns false,
  // `check` would return a default Verdict (holds, not applicable) whatever the simulator
  // predicts, so a campaign skips the simulation: same verdict, a fraction of the cost.
  bool (*may_apply)(const Scenario& scenario) = nullptr;
  // What `check` reads of a prediction, so that campaign runs record no more
  // (SimOptions::recording): kOutcomes when only transactions, lag measures and node finals.
  // The default is the safe one: a property that reads the timeline or compares whole
  // predictions needs everything.
  sim::Recording reads = sim::Recording::kEverything;

  // Does `v` count against this property (a failure for a guarantee, a refutation for a
  // false promise)? Only a determinate violation does.
  bool counts(const Verdict& v) const;
};

// Every property, guarantees first, in a fixed order.
const std::vector<Property>& all_properties();
const Property* find_property(const std::string& name);

}  // namespace replsim::campaign
