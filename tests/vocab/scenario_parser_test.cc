// Scenario files: what parses, and every bad-input class with its file:line:column.
#include "vocab/scenario_parser.h"

#include <gtest/gtest.h>

#include <fstream>

#include "vocab/scenario_walk.h"
#include "vocab/sqlstate.h"

namespace replsim {
namespace {

const char* kHeader = R"yaml(name: t
cluster:
  primary: primary
  standbys: [replica, s2]
  synchronous_standby_names: "FIRST 1 (replica)"
steps:
)yaml";

Result<Scenario> parse(const std::string& steps, const std::string& expect = "") {
  return parse_scenario_text(std::string(kHeader) + steps + (expect.empty() ? "" : "expect:\n" + expect), "t.yaml");
}

// Asserts the error message starts with "t.yaml:LINE:COL:" and mentions `words`.
void expect_error(const Result<Scenario>& r, int line, int column, const std::string& words) {
  ASSERT_FALSE(r.ok());
  const std::string& m = r.status().message();
  EXPECT_EQ(m.rfind("t.yaml:" + std::to_string(line) + ":" + std::to_string(column) + ":", 0), 0u) << m;
  EXPECT_NE(m.find(words), std::string::npos) << m;
}

TEST(ScenarioParserTest, ReadsTheDrillFiles) {
  const char* dir = std::getenv("REPLSIM_SOURCE_DIR");
  const std::string root = dir ? dir : ".";
  for (const char* f : {"/scenarios/drill-2.1-replication-lag.yaml", "/scenarios/drill-2.1-sync.yaml"}) {
    auto r = parse_scenario_file(root + f);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->cluster.nodes.size(), 2u);
    EXPECT_EQ(r->steps[2].kind, StepKind::kInsert);
    EXPECT_EQ(r->steps[2].label, "charlie");
    EXPECT_EQ(r->steps[2].table, "customers");
    EXPECT_EQ(r->steps[2].values[0], (std::pair<std::string, std::string>{"firstname", "Charlie"}));
  }
}

TEST(ScenarioParserTest, ReadsEveryStepKind) {
  auto r = parse(R"(  - catchup
  - mark: m1
  - insert: a
    table: customers
    values: {firstName: A, lastName: B}
  - update: u
    table: products
    set: {price: 10}
    where: {name: Mouse}
  - delete: d
    table: customers
    where: {lastName: Johnson}
  - base_backup: b1
  - truncate: t
    table: products
    cascade: true
  - restore_point: rp
  - switch_wal
  - partition: replica
    direction: to_standby
  - heal: replica
  - pause: s2
  - resume: s2
  - check_lag: l1
    node: replica
  - wait: 250ms
  - cancel: a
  - crash: primary
  - promote: replica
  - restore: r1
    from: b1
    target: {name: rp}
    action: promote
)");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->steps.size(), 19u);
  EXPECT_EQ(r->steps[14].duration_ms, 250);
  EXPECT_EQ(r->steps[9].direction, PartitionDirection::kToStandby);
  const Step& restore = r->steps.back();
  EXPECT_EQ(restore.target.kind, RecoveryTarget::Kind::kName);
  EXPECT_EQ(restore.target.action, RecoveryTarget::Action::kPromote);
  EXPECT_EQ(restore.text, "restore r1 from b1 to name rp (inclusive, action promote, timeline latest)");
}

TEST(ScenarioParserTest, YamlSyntaxErrorHasPosition) {
  expect_error(parse("  - insert: [a\n"), 8, 1, "YAML syntax error");
}

TEST(ScenarioParserTest, UnknownNodeTableColumnAndVerb) {
  expect_error(parse("  - crash: ghost\n"), 7, 5, "unknown node 'ghost'");
  expect_error(parse("  - insert: a\n    table: shoes\n    values: {x: 1}\n"), 8, 12, "unknown table 'shoes'");
  expect_error(parse("  - insert: a\n    table: customers\n    values: {shoe: 1}\n"), 9, 14, "unknown column 'shoe'");
  expect_error(parse("  - explode: primary\n"), 7, 5, "expected a step verb");
  expect_error(parse("  - crash: primary\n    speed: 3\n"), 8, 5, "unknown key 'speed'");
}

TEST(ScenarioParserTest, ImpossibleSteps) {
  expect_error(parse("  - resume: replica\n"), 7, 5, "not paused");
  expect_error(parse("  - pause: replica\n  - pause: replica\n"), 8, 5, "not running");
  expect_error(parse("  - heal: replica\n"), 7, 5, "not partitioned");
  expect_error(parse("  - wipe: replica\n"), 7, 5, "stop or crash it first");
  expect_error(parse("  - crash: replica\n  - promote: replica\n"), 8, 5, "not running");
  expect_error(parse("  - start: replica\n"), 7, 5, "already running");
}

TEST(ScenarioParserTest, DiskStallsEndOnlyInAnOperatingSystemCrash) {
  auto r = parse(
      "  - stall_disk: replica\n  - insert: a\n    table: customers\n    values: {firstName: A}\n"
      "  - partition: replica\n  - os_crash: replica\n  - start: replica\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->steps[0].kind, StepKind::kStallDisk);
  EXPECT_EQ(r->steps[3].kind, StepKind::kOsCrash);
  EXPECT_EQ(describe_step(r->steps[3]), "os_crash replica");

  expect_error(parse("  - stall_disk: replica\n"), 7, 5, "never recovers");
  expect_error(parse("  - stall_disk: replica\n  - crash: replica\n"), 8, 5, "its disk is stalled (line 7)");
  expect_error(parse("  - stall_disk: replica\n  - promote: replica\n"), 8, 5, "its disk is stalled");
  expect_error(parse("  - stall_disk: primary\n  - switch_wal\n"), 8, 5, "cannot switch_wal 'primary'");
  expect_error(parse("  - stall_disk: replica\n  - catchup\n"), 8, 5, "could wait forever");
  expect_error(parse("  - stall_disk: replica\n  - stall_disk: replica\n"), 8, 5, "its disk is stalled");
  expect_error(parse("  - crash: replica\n  - stall_disk: replica\n"), 8, 5, "not running");
  expect_error(parse("  - crash: replica\n  - os_crash: replica\n"), 8, 5, "not running");
  expect_error(parse("  - os_crash: nobody\n"), 7, 5, "unknown node 'nobody'");
}

// pause_replay / resume_replay: a node's name; refused on a node that is not running or that
// is a restored node in archive recovery; catchup and a base backup of a standby wait for a
// replay that a pause holds back, so they are refused while it is paused.
TEST(ScenarioParserTest, ReplayControl) {
  auto r = parse(
      "  - pause_replay: replica\n  - insert: a\n    table: customers\n    values: {firstName: A}\n"
      "  - resume_replay: replica\n  - pause_replay: primary\n  - catchup\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->steps[0].kind, StepKind::kPauseReplay);
  EXPECT_EQ(r->steps[0].node, "replica");
  EXPECT_EQ(r->steps[2].kind, StepKind::kResumeReplay);
  EXPECT_EQ(describe_step(r->steps[0]), "pause_replay replica");
  EXPECT_EQ(describe_step(r->steps[2]), "resume_replay replica");
  EXPECT_EQ(std::string(to_string(StepKind::kPauseReplay)), "pause_replay");

  expect_error(parse("  - pause_replay: nobody\n"), 7, 5, "unknown node 'nobody' in step 'pause_replay'");
  expect_error(parse("  - resume_replay: nobody\n"), 7, 5, "unknown node 'nobody'");
  expect_error(parse("  - stop: replica\n  - pause_replay: replica\n"), 8, 5,
               "cannot pause_replay 'replica': it is not running");
  expect_error(parse("  - pause: replica\n  - resume_replay: replica\n"), 8, 5, "it is paused");
  expect_error(parse("  - pause_replay: replica\n  - catchup\n"), 8, 5,
               "catchup while the replay of 'replica' is paused would wait forever");
  expect_error(parse("  - pause_replay: replica\n  - catchup: replica\n"), 8, 5, "resume_replay: replica first");
  expect_error(parse("  - pause_replay: replica\n  - base_backup: b\n    node: replica\n"), 8, 5,
               "while its replay is paused");
  expect_error(parse("  - stall_disk: replica\n  - pause_replay: replica\n  - os_crash: replica\n"), 8, 5,
               "its disk is stalled");
  expect_error(parse("  - pause_replay:\n"), 7, 5, "");
  // The pause ends with the server: after a restart catchup waits for nothing paused.
  EXPECT_TRUE(parse("  - pause_replay: replica\n  - stop: replica\n  - start: replica\n  - catchup\n").ok());
  EXPECT_TRUE(parse("  - pause_replay: replica\n  - promote: replica\n  - catchup\n").ok());
  EXPECT_TRUE(parse("  - pause_replay: replica\n  - catchup: s2\n").ok());
  // A restored node paused at its target is not a streaming standby.
  expect_error(parse("  - base_backup: b\n  - restore: x\n    from: b\n  - pause_replay: x\n"), 10, 5,
               "restored node in archive recovery");
}

// A delayed standby: apply_delay is recovery_min_apply_delay, whole milliseconds. A catchup that
// would wait for a standby delayed by more than 5 s is refused (it would outwait catchup).
TEST(ScenarioParserTest, ApplyDelay) {
  const std::string head = "name: t\ncluster:\n  primary: primary\n  standbys: [replica, {name: d, apply_delay: ";
  auto with = [&](const std::string& delay, const std::string& steps) {
    return parse_scenario_text(head + delay + "}]\nsteps:\n" + steps, "t.yaml");
  };
  auto r = with("30s", "  - catchup: replica\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->cluster.nodes[1].apply_delay_us, 0);
  EXPECT_EQ(r->cluster.nodes[2].apply_delay_us, 30'000'000);
  expect_error(with("1500us", "  - catchup: replica\n"), 4, 46, "whole milliseconds");
  expect_error(with("11min", "  - catchup: replica\n"), 4, 46, "a standby's apply delay");
  expect_error(with("30s", "  - catchup\n"), 6, 5, "catchup would wait for 'd'");
  expect_error(with("30s", "  - catchup: d\n"), 6, 5, "catchup would wait for 'd'");
  EXPECT_TRUE(with("5s", "  - catchup\n").ok());
  // Promoted, it waits for nobody's delay.
  EXPECT_TRUE(with("30s", "  - promote: d\n  - catchup\n").ok());
}

// resume_replay of a restored node paused at its target is accepted (it promotes it); after it
// the node is a primary. pause_replay of it is still refused.
TEST(ScenarioParserTest, ResumeAtARecoveryTarget) {
  const std::string restore = "  - base_backup: b\n  - mark: m\n  - restore: x\n    from: b\n    target: {time: m}\n";
  auto r = parse(restore + "  - resume_replay: x\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ClusterState walk(*r);
  for (const Step& step : r->steps) walk.apply(step);
  ASSERT_NE(walk.find("x"), nullptr);
  EXPECT_TRUE(walk.find("x")->primary);
  expect_error(parse(restore + "  - pause_replay: x\n"), 12, 5, "restored node in archive recovery");
}

TEST(ScenarioParserTest, RecoveryBadInput) {
  expect_error(parse("  - restore: r\n    from: nope\n"), 7, 5, "no base backup or naive copy named 'nope'");
  expect_error(parse("  - mark: early\n  - base_backup: b\n  - restore: r\n    from: b\n    target: {time: early}\n"),
               9, 5, "lies before the end of base backup 'b'");
  expect_error(parse("  - base_backup: b\n  - restore: r\n    from: b\n    action: explode\n"), 10, 13,
               "expected action");
}

TEST(ScenarioParserTest, NaiveCopiesCheckpointsAndArchiveSteps) {
  auto r = parse(R"(  - naive_copy: tar
    files: [base, pg_xact]
  - checkpoint
  - naive_copy: tar
    files: [pg_wal, global]
  - naive_copy: whole
  - stop: primary
  - restore: back
    from: tar
  - restore: back2
    from: whole
)");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->steps[0].kind, StepKind::kNaiveCopy);
  EXPECT_EQ(r->steps[0].files, (std::vector<std::string>{"base", "pg_xact"}));
  EXPECT_EQ(r->steps[1].kind, StepKind::kCheckpoint);
  EXPECT_EQ(r->steps[2].files, (std::vector<std::string>{"pg_wal", "global"}));
  EXPECT_EQ(r->steps[3].files, naive_copy_parts());  // No 'files': the whole directory at once.
  EXPECT_EQ(describe_step(r->steps[0]), "naive_copy tar: base, pg_xact");
  EXPECT_EQ(describe_step(r->steps[5]), "restore back from tar");
  EXPECT_TRUE(r->restores_naive_copy(r->steps[5]));
  EXPECT_TRUE(r->restores_naive_copy(r->steps[6]));
  EXPECT_FALSE(r->restores_naive_copy(r->steps[0]));

  expect_error(parse("  - naive_copy: c\n    files: [base, etc]\n"), 8, 19, "unknown part 'etc'");
  expect_error(parse("  - naive_copy: c\n    files: [base, base]\n"), 8, 19, "listed twice");
  expect_error(parse("  - naive_copy: c\n    files: [base]\n  - naive_copy: c\n    files: [base]\n"), 9, 5,
               "already holds part 'base'");
  expect_error(parse("  - naive_copy: c\n    files: [base]\n  - restore: r\n    from: c\n"), 9, 5, "incomplete");
  expect_error(parse("  - naive_copy: c\n  - restore: r\n    from: c\n    target: immediate\n"), 8, 5,
               "takes no recovery target");
  expect_error(parse("  - naive_copy: c\n    node: replica\n"), 7, 5, "running primary");
  expect_error(parse("  - stop: primary\n  - checkpoint\n"), 8, 5, "checkpoint takes a running primary");
  expect_error(parse("  - break_archive\n"), 7, 5, "archive_mode");
  expect_error(parse("  - break_archive: now\n"), 7, 20, "takes no argument");
  auto archived = [](const std::string& steps) {
    return parse_scenario_text("name: t\ncluster:\n  primary: p\n  archive_mode: true\nsteps:\n" + steps, "t.yaml");
  };
  EXPECT_TRUE(archived("  - break_archive\n  - repair_archive\n").ok());
  expect_error(archived("  - repair_archive\n"), 6, 5, "not broken");
}

TEST(ScenarioParserTest, LabelsAndExpectations) {
  const std::string insert = "  - insert: a\n    table: customers\n    values: {firstName: A, lastName: B}\n";
  expect_error(parse(insert + insert), 10, 5, "used twice");
  expect_error(parse(insert, "  - lost: b\n"), 11, 5, "no step wrote a transaction labelled 'b'");
  expect_error(parse(insert, "  - present: a\n    on: ghost\n"), 11, 5, "unknown node 'ghost'");
  expect_error(parse(insert, "  - lag: nothing\n"), 11, 5, "no check_lag step named 'nothing'");
  expect_error(parse(insert, "  - vanished: a\n"), 11, 5, "expected an expectation");
  expect_error(parse("  - cancel: x\n"), 7, 5, "cannot cancel 'x'");
}

TEST(ScenarioParserTest, ClusterSettingsAreValidated) {
  auto bad_names = parse_scenario_text(
      "name: t\ncluster:\n  primary: p\n  synchronous_standby_names: \"FIRST 1 (s1\"\nsteps: []\n", "t.yaml");
  expect_error(bad_names, 4, 30, "invalid synchronous_standby_names");
  auto bad_level = parse_scenario_text("name: t\ncluster:\n  primary: p\n  synchronous_commit: sometimes\nsteps: []\n",
                                       "t.yaml");
  expect_error(bad_level, 4, 23, "expected synchronous_commit");
  auto bad_segment = parse_scenario_text("name: t\ncluster:\n  primary: p\n  wal_segment_size: 3MB\nsteps: []\n",
                                         "t.yaml");
  expect_error(bad_segment, 4, 21, "power of two");
  auto twice = parse_scenario_text("name: t\ncluster:\n  primary: p\n  standbys: [p]\nsteps: []\n", "t.yaml");
  expect_error(twice, 4, 14, "named twice");
  auto no_cluster = parse_scenario_text("name: t\nsteps: []\n", "t.yaml");
  expect_error(no_cluster, 1, 1, "expected key 'cluster'");
}

TEST(ScenarioParserTest, MissingFileIsAnError) {
  auto r = parse_scenario_file("/nonexistent/scenario.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cannot read"), std::string::npos);
}

TEST(ScenarioParserTest, DurationsAndSizes) {
  EXPECT_EQ(*parse_duration_us("250ms"), 250000);
  EXPECT_EQ(*parse_duration_us("2s"), 2000000);
  EXPECT_EQ(*parse_duration_us("7"), 7000);
  EXPECT_FALSE(parse_duration_us("fast").ok());
  EXPECT_FALSE(parse_duration_us("3 hours").ok());
  EXPECT_EQ(*parse_size_bytes("16MB"), 16 << 20);
  EXPECT_EQ(*parse_size_bytes("64kB"), 64 << 10);
  EXPECT_FALSE(parse_size_bytes("16mb").ok());
}

}  // namespace
}  // namespace replsim

namespace replsim {
namespace {

// Input the parser used to misread silently or crash on (issue 21, "Input").
TEST(ScenarioInputHardeningTest, AKeyGivenTwiceIsRefusedAtTheSecond) {
  // A second `steps:` used to be ignored, and with it a step on an unknown node.
  expect_error(parse("  - catchup\nsteps:\n  - crash: ghost\n"), 8, 1, "key 'steps' is given twice");
  expect_error(parse("  - insert: a\n    table: customers\n    table: orders\n    values: {x: 1}\n"), 9, 5,
               "key 'table' is given twice");
}

TEST(ScenarioInputHardeningTest, ASecondYamlDocumentIsRefused) {
  expect_error(parse("  - catchup\n---\nname: other\n"), 9, 1, "one YAML document");
}

TEST(ScenarioInputHardeningTest, TextThatIsNotUtf8IsRefusedWithItsPlace) {
  expect_error(parse("  - mark: m\xff\n"), 7, 12, "not UTF-8");
  expect_error(parse("  - mark: \xed\xa0\x80x\n"), 7, 11, "not UTF-8");  // A surrogate.
  EXPECT_TRUE(parse("  - mark: m\n    # Grüße, 日本\n").ok());
}

TEST(ScenarioInputHardeningTest, ControlCharactersInNamesAndSettingsAndNulAnywhereAreRefused) {
  auto name = parse_scenario_text("name: \"a\\e[2J\"\ncluster:\n  primary: p\nsteps: []\n", "t.yaml");
  expect_error(name, 1, 7, "control character");
  auto setting = parse_scenario_text(
      "name: t\ncluster:\n  primary: p\n  standbys: [r]\n  synchronous_standby_names: \"r\\n\"\nsteps: []\n", "t.yaml");
  expect_error(setting, 5, 30, "control character");
  expect_error(parse("  - insert: a\n    table: customers\n    values: {firstName: \"x\\0y\"}\n"), 9, 25, "NUL");
}

TEST(ScenarioInputHardeningTest, SizesAndDurationsHaveAMaximumAndNeverOverflow) {
  EXPECT_FALSE(parse_size_bytes("999999999999999GB").ok());
  EXPECT_FALSE(parse_size_bytes("99999999999999999999").ok());
  EXPECT_FALSE(parse_size_bytes("2TB").ok());
  EXPECT_EQ(*parse_size_bytes("1TB"), kMaxSizeBytes);
  EXPECT_FALSE(parse_duration_us("999999999999min").ok());
  EXPECT_FALSE(parse_duration_us("11min").ok());
  EXPECT_EQ(*parse_duration_us("10min"), kMaxDurationUs);
  EXPECT_NE(parse_duration_us("1000000s").status().message().find("longest duration"), std::string::npos);
  expect_error(parse("  - wait: 2000min\n"), 7, 11, "longer than 10min");
}

TEST(ScenarioInputHardeningTest, ATimelineIsAThirtyTwoBitNumber) {
  const std::string restore = "  - restore: x\n    from: b\n    timeline: ";
  const std::string backup = "  - base_backup: b\n";
  for (const char* bad : {"99999999999999999999999", "4294967296", "0"})
    expect_error(parse(backup + restore + bad + "\n"), 10, 15, "timeline number from 1 to 4294967295");
}

TEST(ScenarioInputHardeningTest, AnEndlessOrHugeFileIsRefusedAfterTheLimit) {
  auto zero = parse_scenario_file("/dev/zero");
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.status().message().find("larger than 1048576 bytes"), std::string::npos) << zero.status().message();
}

// What PostgreSQL accepts and refuses only while running is a step, not bad input
// (docs/model.md "Steps PostgreSQL refuses").
TEST(ScenarioParserTest, WhatTheServerRefusesAtRunTimeIsNotBadInput) {
  auto r = parse(
      "  - base_backup: b\n  - promote: primary\n  - switch_wal: replica\n  - restore_point: p\n    node: replica\n"
      "  - restore_point: p\n  - insert: a\n    table: customers\n    values: {firstName: A, firstname: B}\n"
      "  - restore: r1\n    from: b\n    target: {name: never_made}\n"
      "  - restore: r2\n    from: b\n    target: {name: p, xid: a}\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->steps[1].kind, StepKind::kPromote);
  EXPECT_EQ(r->steps[6].target.kind, RecoveryTarget::Kind::kName);
  EXPECT_EQ(r->steps[6].target.second_kind, RecoveryTarget::Kind::kNone);
  const RecoveryTarget& two = r->steps[7].target;
  EXPECT_EQ(two.kind, RecoveryTarget::Kind::kName);
  EXPECT_EQ(two.ref, "p");
  EXPECT_EQ(two.second_kind, RecoveryTarget::Kind::kXid);
  EXPECT_EQ(two.second_ref, "a");
  EXPECT_NE(describe_step(r->steps[7]).find("to name p and xid a"), std::string::npos) << describe_step(r->steps[7]);
  // A promote of a primary changes nothing: unqualified writes still go to the first primary.
  const ScenarioWalk walk(*r);
  EXPECT_EQ(walk.current_primary(2), "primary");

  // The second target must name something too; three targets are not a target.
  expect_error(parse("  - base_backup: b\n  - restore: r\n    from: b\n    target: {name: p, xid: nobody}\n"), 8, 5,
               "recovery target xid 'nobody'");
  expect_error(parse("  - mark: m\n  - base_backup: b\n  - restore: r\n    from: b\n"
                     "    target: {name: p, xid: a, time: m}\n"),
               11, 13, "expected target");
}

TEST(ScenarioParserTest, StepErrorExpectations) {
  const std::string steps =
      "  - insert: bad\n    table: products\n    values: {name: X, price: abc}\n"
      "  - promote: primary\n  - restore_point: p\n  - restore_point: p\n";
  auto r = parse(steps,
                 "  - error: invalid_text_representation\n    step: bad\n"
                 "  - error: 55000\n    step: 10\n  - error: 22P02\n    step: bad\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->expectations.size(), 3u);
  const Expectation& by_label = r->expectations[0];
  EXPECT_EQ(by_label.kind, ExpectKind::kStepError);
  EXPECT_EQ(by_label.step, 0);
  EXPECT_EQ(by_label.sqlstate, "22P02");
  EXPECT_EQ(by_label.error, "invalid_text_representation");
  EXPECT_EQ(by_label.step_ref, "bad");
  EXPECT_EQ(r->expectations[1].step, 1);  // The promote stands on line 10.
  EXPECT_EQ(r->expectations[1].sqlstate, "55000");
  EXPECT_EQ(r->expectations[2].sqlstate, "22P02");

  expect_error(parse(steps, "  - error: no_such_condition\n    step: bad\n"), 14, 12, "expected an SQLSTATE");
  expect_error(parse(steps, "  - error: 22P02\n    step: nothing\n"), 15, 11, "no step is labelled or named 'nothing'");
  expect_error(parse(steps, "  - error: 22P02\n    step: 99\n"), 15, 11, "no step stands on line 99");
  expect_error(parse(steps, "  - error: 22P02\n    step: p\n"), 15, 11, "names 2 steps");
  expect_error(parse(steps, "  - error: 22P02\n    step: bad\n    on: primary\n"), 16, 5, "unknown key 'on'");
}

TEST(SqlStateTest, ConditionNamesAndCodes) {
  EXPECT_EQ(parse_sqlstate("invalid_text_representation"), "22P02");
  EXPECT_EQ(parse_sqlstate("22P02"), "22P02");
  EXPECT_EQ(parse_sqlstate("object_not_in_prerequisite_state"), "55000");
  EXPECT_EQ(parse_sqlstate("XX000"), "XX000");  // A code replsim does not name is still a code.
  EXPECT_EQ(parse_sqlstate("22p02"), std::nullopt);
  EXPECT_EQ(parse_sqlstate("invalid"), std::nullopt);
  EXPECT_EQ(condition_name("42701"), "duplicate_column");
  EXPECT_EQ(condition_name("XX000"), "");
  for (const SqlState& s : known_sqlstates()) EXPECT_EQ(parse_sqlstate(s.condition), s.code);
}

// state:, timeline: and sync_state: expectations, and each bad input with its position.
TEST(ScenarioParserTest, StateTimelineAndSyncStateExpectations) {
  const std::string insert = "  - insert: a\n    table: customers\n    values: {firstName: A, lastName: B}\n";
  auto ok = parse(insert,
                  "  - state: shutdown_at_target\n    on: replica\n  - timeline: 2\n    on: replica\n"
                  "  - sync_state: sync\n    priority: 1\n    on: replica\n");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  ASSERT_EQ(ok->expectations.size(), 3u);
  EXPECT_EQ(ok->expectations[0].kind, ExpectKind::kState);
  EXPECT_EQ(ok->expectations[0].server_state, "shutdown_at_target");
  EXPECT_EQ(ok->expectations[0].node, "replica");
  EXPECT_EQ(ok->expectations[1].kind, ExpectKind::kTimeline);
  EXPECT_EQ(ok->expectations[1].timeline, 2);
  EXPECT_EQ(ok->expectations[2].kind, ExpectKind::kSyncState);
  EXPECT_EQ(ok->expectations[2].sync_state, "sync");
  EXPECT_EQ(ok->expectations[2].sync_priority, 1);
  EXPECT_EQ(to_string(ExpectKind::kSyncState), std::string("sync_state"));

  expect_error(parse(insert, "  - state: zombie\n    on: replica\n"), 11, 12, "unknown server state 'zombie'");
  expect_error(parse(insert, "  - state: primary\n    speed: 1\n"), 12, 5, "unknown key 'speed'");
  expect_error(parse(insert, "  - timeline: 0\n"), 11, 15, "a timeline number of at least 1");
  expect_error(parse(insert, "  - timeline: two\n"), 11, 15, "a timeline number");
  expect_error(parse(insert, "  - sync_state: maybe\n    on: replica\n"), 11, 17, "unknown sync_state 'maybe'");
  expect_error(parse(insert, "  - sync_state: sync\n    priority: -1\n    on: replica\n"), 12, 15,
               "a sync_priority of 0 or more");
  expect_error(parse(insert, "  - sync_state: sync\n"), 11, 5, "needs 'on'");
  expect_error(parse(insert, "  - state: primary\n    on: ghost\n"), 11, 5, "unknown node 'ghost'");
}

}  // namespace
}  // namespace replsim
