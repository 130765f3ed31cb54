// Scenario generators for property campaigns. A generated scenario is drawn
// as a Plan — a cluster shape and a list of step *intents* made of small integers — and
// then realised into a Scenario by walking a plain model of the nodes (running, paused,
// down; primary or standby; partitioned or not). An intent that is impossible in the
// current state (resume a running node, promote a primary) is dropped, so every Plan,
// including every shrink rapidcheck makes of it, realises into a valid scenario: valid by
// construction, and re-checked by the parser's own rules in the tests (writer round trip).
// Plans are drawn from a seed by a fixed PRNG and shrunk with rapidcheck's shrinkers.
#pragma once

#include <rapidcheck.h>

#include <array>
#include <string>
#include <vector>

#include "vocab/scenario.h"

namespace replsim::campaign {

// The kinds of step intents, simplest first: shrinking an intent's kind moves it towards
// kInsert, and shrinking the cluster moves it towards one async standby.
// The recovery intents come last (base backup, segment switch, mark, restore point, restore
// from a base backup to a target); profiles that give them no weight draw exactly the plans
// they drew before these kinds existed. So do the disk intents after them (stall a node's disk,
// crash its operating system).
enum class Intent {
  kInsert,
  kUpdate,
  kDelete,
  kCatchup,
  kWait,
  kPartition,
  kHeal,
  kPause,
  kResume,
  kCrash,
  kStart,
  kStop,
  kPromote,
  kCancel,
  kBaseBackup,
  kSwitchWal,
  kMark,
  kRestorePoint,
  kRestore,
  kStallDisk,
  kOsCrash,
  // Several inserts back to back, as `repeat: N` writes them (issue 15's bursts): 3 to 8 steps
  // from one intent. Last, with no weight in the general profiles, so their plans are as before.
  kBurst,
  // pg_terminate_backend() of a waiting commit's backend (issue 17's sessions).
  kTerminate,
  // pg_wal_replay_pause() / pg_wal_replay_resume() on a standby (now and then the primary, which
  // refuses): last, so profiles that give them no weight draw the plans they drew.
  kPauseReplay,
  kResumeReplay,
  // A reload of the first primary's synchronous_standby_names (issue 17's settings).
  kReload,
  // A named session's step (issue 17's interleaving): begin one, run an insert in an open one,
  // or commit or roll one back. Every session still open is committed at the end.
  kSession,
};
inline constexpr int kIntentCount = 27;
// Swarm testing may disable the first kSwarmIntents kinds; the recovery intents are never
// disabled (a run without backups or restores says nothing about recovery), and the mask keeps
// its width so that campaigns of the other profiles keep their plans.
inline constexpr int kSwarmIntents = 14;
const char* to_string(Intent intent);

// Which synchronous_standby_names shapes a profile may draw.
enum class NamesShape {
  kAny,       // Empty, a plain list, FIRST n (...), ANY n (...) or '*'.
  kAsync,     // Empty: every commit waits for the local flush only.
  kEnabled,   // Any non-empty shape.
  kRequired,  // Every listed standby is required for every commit (n = number listed).
};

// A region of the scenario space, chosen per property so that its precondition is met
// often ("swarm testing": each run also disables a random subset of intents).
struct Profile {
  std::string name;
  std::vector<SyncCommit> levels;  // synchronous_commit choices; the first is the shrink target.
  NamesShape names = NamesShape::kAny;
  std::array<int, kIntentCount> weights{};  // Relative frequency of each intent kind.
  // archive_mode = true for the cluster (the WAL archive that point-in-time recovery reads).
  bool archive_mode = false;
  // Whether writes are drawn while the primary they go to is paused. The simulator predicts
  // such a write `blocked` until the resume, as a client of a SIGSTOPped server waits; the real
  // harness cannot stage it (its client's connection to the stopped postmaster never completes,
  // so it records the write failed at once: docs/harness.md), so the differential profile, whose
  // scenarios also run on real PostgreSQL, draws none.
  bool writes_on_paused_primary = true;
  // Whether a standby may get a link latency of its own (ClusterPlan::far; issue 17's network
  // per link). Off in the profiles whose plans predate it.
  bool link_latencies = false;
  // Which recovery_min_apply_delay values a standby may get (ClusterPlan::delayed; issue 17's
  // replay control), in milliseconds. Empty in the profiles whose plans predate it.
  std::vector<int64_t> apply_delays_ms = {};
};

const Profile& general_profile();
// The general profile plus disk stalls and OS crashes (a few percent of the intents each).
const Profile& general_disk_profile();

struct ClusterPlan {
  int standbys = 1;     // 1..3, named s1..s3.
  int level = 0;        // Index into Profile::levels (modulo).
  int names_shape = 0;  // See realize(): empty, plain list, FIRST, ANY, '*'.
  int listed = 0;       // Which standbys are listed (a non-empty subset, modulo).
  int rotate = 0;       // Rotates the listed names: the priority order.
  int num_sync = 0;     // num_sync - 1 (modulo the number listed).
  // A far standby (profiles with link_latencies only): 0 = none; else standby far % standbys
  // gets a link of far_latency_us(far). Drawn after the steps, so the other draws are as before.
  int far = 0;
  // A delayed standby (profiles with apply_delays_ms only): 0 = none; else standby
  // (delayed / 4) % standbys gets apply_delays_ms[(delayed % 4 - 1) % size]. Drawn after `far`.
  int delayed = 0;
};

struct StepIntent {
  int kind = 0;     // A point on the profile's cumulative weights: 0..kWeightScale-1.
  int target = 0;   // Which of the eligible nodes or labels (modulo).
  int variant = 0;  // Table, direction, duration, row id (modulo what applies).
};
inline constexpr int kWeightScale = 1000;

struct Plan {
  ClusterPlan cluster;
  uint32_t swarm = 0;  // Bit i set: intent kind i is disabled in this run (kInsert never is).
  std::vector<StepIntent> steps;
};

// Whether realised steps carry the text the parser would give them ("insert t1: customers
// (...)"). The simulator only copies that text into its timeline and events, which no
// property reads, so campaign runs omit it (describing every step was about a third of
// realising a plan); scenarios that are printed, written or run for a user describe it.
enum class StepText { kDescribe, kOmit };

// The scenario a plan stands for under `profile`, named `name`. With StepText::kDescribe,
// steps carry `text` as the parser would set it; positions are zero (not from a file).
Scenario realize(const Plan& plan, const Profile& profile, const std::string& name = "generated",
                 StepText text = StepText::kDescribe);

// The plan of one run: drawn from `seed` with a fixed PRNG (cheap: no shrink tree is built),
// with 0..max_steps intents (`exact_steps` > 0: exactly that many).
Plan draw_plan(uint64_t seed, int max_steps, int exact_steps = 0);
// rapidcheck's shrinks of a plan: remove chunks of intents, simplify the swarm mask and the
// cluster, then each intent's fields towards zero.
rc::Seq<Plan> shrink_plan(const Plan& plan);
// draw_plan's plan with its (lazy) rapidcheck shrink tree.
rc::Shrinkable<Plan> shrinkable_plan(uint64_t seed, int max_steps, int exact_steps = 0);

// rapidcheck generators for properties in tests: a seed drawn by rapidcheck, then draw_plan.
rc::Gen<Plan> gen_plan(int max_steps, int exact_steps = 0);
rc::Gen<Scenario> gen_scenario(const Profile& profile, int max_steps);

}  // namespace replsim::campaign
