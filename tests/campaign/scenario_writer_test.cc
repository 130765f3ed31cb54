// The scenario writer's contract: every generated scenario, written and parsed back,
// is the same scenario — so generated scenarios obey the parser's own validity rules
// (the state walk of scenario_checker.cc), and counterexample files are ordinary files.
#include "sim/campaign/scenario_writer.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "sim/campaign/property.h"
#include "sim/campaign/scenario_gen.h"
#include "vocab/scenario_parser.h"

namespace replsim::campaign {
namespace {

void expect_round_trip(const Scenario& scenario) {
  const std::string yaml = write_scenario(scenario);
  auto parsed = parse_scenario_text(yaml, "generated.yaml");
  RC_ASSERT(parsed.ok());
  std::string difference;
  RC_ASSERT(same_scenario(scenario, *parsed, &difference));
  // Writing what was read gives the same text: the writer is canonical.
  RC_ASSERT(write_scenario(*parsed) == yaml);
}

RC_GTEST_PROP(ScenarioWriterTest, GeneratedScenarioReadsBackAsItself, ()) {
  expect_round_trip(*gen_scenario(general_disk_profile(), 40));
}

RC_GTEST_PROP(ScenarioWriterTest, EveryPropertysScenariosReadBackAsThemselves, ()) {
  const auto& properties = all_properties();
  const auto& property = properties[*rc::gen::inRange<size_t>(0, properties.size())];
  expect_round_trip(*gen_scenario(property.profile, 40));
}

TEST(ScenarioWriterTest, DrillFilesReadBackAsThemselves) {
  for (const char* file : {"scenarios/drill-2.1-replication-lag.yaml", "scenarios/drill-2.1-sync.yaml"}) {
    auto original = parse_scenario_file(file);
    ASSERT_TRUE(original.ok()) << original.status().message();
    auto parsed = parse_scenario_text(write_scenario(*original), file);
    ASSERT_TRUE(parsed.ok()) << parsed.status().message() << "\n" << write_scenario(*original);
    std::string difference;
    EXPECT_TRUE(same_scenario(*original, *parsed, &difference)) << file << ": " << difference;
  }
}

// Reads `yaml`, writes it, reads the text back: the two scenarios must be equal and writing
// the second must give the same text (the writer is canonical).
Scenario expect_file_round_trip(const std::string& yaml) {
  auto original = parse_scenario_text(yaml, "recovery.yaml");
  EXPECT_TRUE(original.ok()) << original.status().message();
  if (!original.ok()) return {};
  const std::string written = write_scenario(*original);
  auto parsed = parse_scenario_text(written, "written.yaml");
  EXPECT_TRUE(parsed.ok()) << parsed.status().message() << "\n" << written;
  if (!parsed.ok()) return {};
  std::string difference;
  EXPECT_TRUE(same_scenario(*original, *parsed, &difference)) << difference << "\n" << written;
  EXPECT_EQ(write_scenario(*parsed), written);
  return *parsed;
}

constexpr const char* kArchivingCluster =
    "name: recovery\ncluster:\n  primary: p\n  standbys: [r]\n  synchronous_standby_names: \"\"\n"
    "  archive_mode: true\nsteps:\n";

TEST(ScenarioWriterTest, CheckpointWithAndWithoutNodeReadsBackAsItself) {
  const Scenario s = expect_file_round_trip(
      std::string(kArchivingCluster) +
      "  - checkpoint\n  - checkpoint: p\n  - insert: t1\n    table: customers\n"
      "    values: {firstname: A, lastname: B, email: a@b}\n  - checkpoint: all\n");
  ASSERT_EQ(s.steps.size(), 4u);
  EXPECT_EQ(s.steps[0].kind, StepKind::kCheckpoint);
  EXPECT_EQ(s.steps[0].node, "");
  EXPECT_EQ(s.steps[1].kind, StepKind::kCheckpoint);
  EXPECT_EQ(s.steps[1].node, "p");
  EXPECT_EQ(s.steps[3].node, "");
}

TEST(ScenarioWriterTest, NaiveCopyPartsAndItsRestoreReadBackAsThemselves) {
  const Scenario s = expect_file_round_trip(
      std::string(kArchivingCluster) +
      "  - naive_copy: torn\n    files: [pg_xact, base]\n    node: p\n"
      "  - insert: late\n    table: orders\n    values: {customerId: 4, status: paid}\n"
      "  - checkpoint\n"
      "  - naive_copy: torn\n    files: [global, pg_wal]\n"
      "  - naive_copy: whole\n"
      "  - stop: p\n"
      "  - restore: x\n    from: torn\n"
      "  - restore: y\n    from: whole\n    action: promote\n");
  ASSERT_EQ(s.steps.size(), 8u);
  EXPECT_EQ(s.steps[0].kind, StepKind::kNaiveCopy);
  EXPECT_EQ(s.steps[0].name, "torn");
  EXPECT_EQ(s.steps[0].node, "p");
  EXPECT_EQ(s.steps[0].files, (std::vector<std::string>{"pg_xact", "base"}));
  EXPECT_EQ(s.steps[3].files, (std::vector<std::string>{"global", "pg_wal"}));
  EXPECT_EQ(s.steps[3].node, "");
  EXPECT_EQ(s.steps[4].files, naive_copy_parts());  // No `files`: everything at once.
  EXPECT_EQ(s.steps[6].kind, StepKind::kRestore);
  EXPECT_EQ(s.steps[6].backup, "torn");
  EXPECT_EQ(s.steps[6].target.kind, RecoveryTarget::Kind::kNone);
  EXPECT_TRUE(s.restores_naive_copy(s.steps[6]));
  EXPECT_EQ(s.steps[7].target.action, RecoveryTarget::Action::kPromote);
}

TEST(ScenarioWriterTest, BreakAndRepairArchiveReadBackAsThemselves) {
  const Scenario s = expect_file_round_trip(std::string(kArchivingCluster) +
                                            "  - break_archive\n  - switch_wal\n  - repair_archive\n"
                                            "  - break_archive\n  - switch_wal: p\n");
  ASSERT_EQ(s.steps.size(), 5u);
  EXPECT_EQ(s.steps[0].kind, StepKind::kBreakArchive);
  EXPECT_EQ(s.steps[2].kind, StepKind::kRepairArchive);
  EXPECT_EQ(s.steps[3].kind, StepKind::kBreakArchive);
  EXPECT_EQ(s.steps[4].node, "p");
}

TEST(ScenarioWriterTest, EveryRecoveryTargetReadsBackAsItself) {
  const std::string writes =
      "  - base_backup: b\n    node: p\n"
      "  - mark: before\n"
      "  - insert: t1\n    table: customers\n    values: {firstname: A, lastname: B, email: a@b}\n"
      "  - restore_point: rp\n"
      "  - mark: after\n"
      "  - switch_wal\n  - stop: p\n";
  const std::vector<std::string> restores = {
      "    target: immediate\n",
      "    target: {xid: t1}\n    inclusive: false\n",
      "    target: {time: before}\n    action: promote\n",
      "    target: {lsn: after}\n    inclusive: false\n    action: shutdown\n",
      "    target: {lsn: t1}\n",
      "    target: {name: rp}\n    timeline: current\n",
      "    target: {xid: t1}\n    timeline: \"1\"\n",
      "    action: promote\n",
  };
  for (size_t i = 0; i < restores.size(); ++i) {
    SCOPED_TRACE(restores[i]);
    const Scenario s = expect_file_round_trip(std::string(kArchivingCluster) + writes +
                                              "  - restore: x\n    from: b\n" + restores[i]);
    ASSERT_FALSE(s.steps.empty());
    EXPECT_EQ(s.steps.back().kind, StepKind::kRestore);
    EXPECT_EQ(s.steps.back().backup, "b");
  }
}

// A scenario built in code (not read from a file) carrying every new step kind: written and
// read back, it is the same scenario, field by field.
TEST(ScenarioWriterTest, BuiltScenarioWithEveryRecoveryStepReadsBackAsItself) {
  auto base = parse_scenario_text(std::string(kArchivingCluster) + "  - catchup\n", "built.yaml");
  ASSERT_TRUE(base.ok()) << base.status().message();
  Scenario s = *base;
  s.steps.clear();
  auto add = [&s](StepKind kind, std::string name = "", std::string node = "") -> Step& {
    Step& step = s.steps.emplace_back();
    step.kind = kind;
    step.name = std::move(name);
    step.node = std::move(node);
    return step;
  };
  add(StepKind::kBaseBackup, "b");
  add(StepKind::kCheckpoint, "", "p");
  add(StepKind::kNaiveCopy, "c", "p").files = {"global"};
  add(StepKind::kCheckpoint);
  add(StepKind::kNaiveCopy, "c").files = {"pg_wal", "base", "pg_xact"};
  add(StepKind::kBreakArchive);
  add(StepKind::kSwitchWal);
  add(StepKind::kRepairArchive);
  add(StepKind::kRestorePoint, "rp");
  add(StepKind::kSwitchWal, "", "p");
  add(StepKind::kStop, "", "p");
  Step& from_copy = add(StepKind::kRestore, "", "x");
  from_copy.backup = "c";
  Step& pitr = add(StepKind::kRestore, "", "y");
  pitr.backup = "b";
  pitr.target.kind = RecoveryTarget::Kind::kName;
  pitr.target.ref = "rp";
  pitr.target.action = RecoveryTarget::Action::kShutdown;
  const std::string yaml = write_scenario(s);
  auto parsed = parse_scenario_text(yaml, "built.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message() << "\n" << yaml;
  std::string difference;
  EXPECT_TRUE(same_scenario(s, *parsed, &difference)) << difference << "\n" << yaml;
  EXPECT_EQ(write_scenario(*parsed), yaml);
  // same_scenario sees the parts of a copy: a different part list is a different scenario.
  Scenario other = *parsed;
  other.steps[4].files = {"pg_wal", "base"};
  EXPECT_FALSE(same_scenario(*parsed, other, &difference));
  EXPECT_EQ(difference.rfind("steps[4].files", 0), 0u) << difference;
}

TEST(ScenarioWriterTest, RecoveryDrillFilesReadBackAsThemselves) {
  for (const char* file : {"scenarios/drill-1.1-pitr-after-delete.yaml", "scenarios/drill-1.1-unarchived-target.yaml",
                           "scenarios/drill-3.1-torn-copy.yaml", "scenarios/drill-3.1-copy-spans-checkpoint.yaml",
                           "scenarios/drill-3.1-naive-copy.yaml", "scenarios/drill-3.1-copy-beside-live-server.yaml",
                           "scenarios/drill-4.1-full-disaster-recovery.yaml",
                           // Awkward values, two recovery targets, `error:` expectations by label and by line.
                           "scenarios/steps-postgresql-refuses.yaml"}) {
    SCOPED_TRACE(file);
    auto original = parse_scenario_file(file);
    ASSERT_TRUE(original.ok()) << original.status().message();
    auto parsed = parse_scenario_text(write_scenario(*original), file);
    ASSERT_TRUE(parsed.ok()) << parsed.status().message() << "\n" << write_scenario(*original);
    std::string difference;
    EXPECT_TRUE(same_scenario(*original, *parsed, &difference)) << difference;
  }
}

TEST(ScenarioWriterTest, AwkwardStringsSurviveQuoting) {
  auto s = parse_scenario_file("scenarios/drill-2.1-replication-lag.yaml");
  ASSERT_TRUE(s.ok());
  s->description = "on: \"quoted\" \\ back\nslash # not a comment";
  s->steps[2].values[0].second = "on";
  s->steps[2].values[1].second = "";
  s->steps[2].values[2].second = "123";
  auto parsed = parse_scenario_text(write_scenario(*s), "awkward.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  std::string difference;
  EXPECT_TRUE(same_scenario(*s, *parsed, &difference)) << difference;
}

TEST(ScenarioWriterTest, EmptyStepListIsWrittenAsAList) {
  auto s = parse_scenario_file("scenarios/drill-2.1-sync.yaml");
  ASSERT_TRUE(s.ok());
  s->steps.clear();
  s->expectations.clear();
  auto parsed = parse_scenario_text(write_scenario(*s), "empty.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_TRUE(parsed->steps.empty());
}

}  // namespace
}  // namespace replsim::campaign
