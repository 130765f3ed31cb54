// `replsim run` as a user runs it: the drills' outcomes, exit codes, and a file:line:column
// message with exit 2 for every class of bad input.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "vocab/timing_profile.h"

namespace {

struct CliRun {
  int exit_code = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

CliRun replsim(const std::string& args) {
  const auto dir = std::filesystem::temp_directory_path();
  // Unique per process and call: ctest runs these tests in parallel processes.
  static int calls = 0;
  const std::string stem = "replsim_cli_test." + std::to_string(getpid()) + "." + std::to_string(calls++);
  const std::string out = (dir / (stem + ".out")).string(), err = (dir / (stem + ".err")).string();
  const int status = std::system((std::string(REPLSIM_BINARY) + " " + args + " >" + out + " 2>" + err).c_str());
  CliRun run{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return run;
}

std::string write_temp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / (std::to_string(getpid()) + "_" + name);
  std::ofstream(path) << text;
  return path.string();
}

const std::string kHeader = "name: bad\ncluster:\n  primary: p\n  standbys: [r]\nsteps:\n";

TEST(RunCommandTest, LagDrillLosesCharlieOnThePromotedReplica) {
  CliRun r = replsim(std::string("run ") + REPLSIM_SCENARIOS + "/drill-2.1-replication-lag.yaml");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("charlie was acknowledged on primary at"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("never reached replica (partitioned since step 2); promoting replica lost it"),
            std::string::npos);
  EXPECT_NE(r.out.find("3 of 3 expectations held"), std::string::npos);
}

TEST(RunCommandTest, DisasterDrillShowsTheLagVerdictAndTheRestoredTimeline) {
  CliRun r = replsim(std::string("run ") + REPLSIM_SCENARIOS + "/drill-4.1-full-disaster-recovery.yaml");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("failover now loses order_5, item_for_order_5, order_6"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("recovery stopping before commit of transaction"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("primary_new: selected new timeline ID: 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rows: customers 6, orderitems 7, orders 6, products 5"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("10 of 10 expectations held"), std::string::npos) << r.out;
}

TEST(RunCommandTest, UnarchivedTargetIsPredictedNotReached) {
  CliRun r = replsim(std::string("run ") + REPLSIM_SCENARIOS + "/drill-1.1-unarchived-target.yaml");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("recovery ended before configured recovery target was reached"), std::string::npos) << r.out;
}

TEST(RunCommandTest, SyncTwinBlocksAndLosesNothingAcknowledged) {
  CliRun r = replsim(std::string("run ") + REPLSIM_SCENARIOS + "/drill-2.1-sync.yaml");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("in_doubt"), std::string::npos);
  EXPECT_NE(r.out.find("nothing the client was promised is lost"), std::string::npos) << r.out;
}

TEST(RunCommandTest, SameSeedGivesByteIdenticalJson) {
  const std::string args = std::string("run --json --seed 9 ") + REPLSIM_SCENARIOS + "/drill-2.1-replication-lag.yaml";
  CliRun a = replsim(args), b = replsim(args);
  EXPECT_EQ(a.exit_code, 0);
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out.find("\"expectations\""), std::string::npos);
}

TEST(RunCommandTest, FailedExpectationExitsOneAndSaysWhy) {
  const std::string file = write_temp(
      "replsim_fail.yaml",
      kHeader +
          "  - partition: r\n  - insert: a\n    table: customers\n    values: {firstName: A, lastName: B}\n"
          "  - crash: p\n  - promote: r\nexpect:\n  - present: a\n    on: r\n");
  CliRun r = replsim("run " + file);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("✗"), std::string::npos) << r.out;
}

struct BadInput {
  const char* name;
  std::string body;
  const char* message;
};

void PrintTo(const BadInput& b, std::ostream* os) { *os << b.name; }

class BadInputTest : public ::testing::TestWithParam<BadInput> {};

TEST_P(BadInputTest, ExitsTwoWithFileLineColumnMessage) {
  const BadInput& b = GetParam();
  const std::string file = write_temp(std::string("replsim_bad_") + b.name + ".yaml", b.body);
  CliRun r = replsim("run " + file);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find(file + ":"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(b.message), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

INSTANTIATE_TEST_SUITE_P(
    EveryClass, BadInputTest,
    ::testing::Values(
        BadInput{"syntax", kHeader + "  - insert: [a\n", "YAML syntax error"},
        BadInput{"unknown_node", kHeader + "  - crash: nosuch\n", "unknown node 'nosuch'"},
        BadInput{"unknown_table", kHeader + "  - insert: a\n    table: nosuch\n    values: {x: 1}\n",
                 "unknown table 'nosuch'"},
        BadInput{"unknown_column", kHeader + "  - insert: a\n    table: customers\n    values: {nosuch: 1}\n",
                 "unknown column 'nosuch'"},
        // A promote of a running primary is PostgreSQL's run-time ERROR, not bad input; of a node that is down it is.
        BadInput{"promote_down", kHeader + "  - crash: r\n  - promote: r\n", "cannot promote 'r': it is not running"},
        BadInput{"resume_running", kHeader + "  - resume: r\n", "cannot resume 'r': it is not paused"},
        BadInput{"unknown_verb", kHeader + "  - explode: r\n", "expected a step verb"},
        BadInput{"missing_backup", kHeader + "  - restore: n\n    from: nightly\n",
                 "no base backup or naive copy named 'nightly'"},
        // An unknown restore point name runs (and is never reached); three targets do not parse.
        BadInput{"three_targets",
                 kHeader + "  - base_backup: b\n  - restore: n\n    from: b\n    target: {name: a, xid: b, lsn: c}\n",
                 "expected target"},
        BadInput{
            "target_before_backup",
            kHeader + "  - mark: early\n  - base_backup: b\n  - restore: n\n    from: b\n    target: {time: early}\n",
            "lies before the end of base backup 'b'"}),
    [](const auto& info) { return std::string(info.param.name); });

// --timing: the burst's loss is a range under the shipped profile; a profile with no spread
// (every step 1 ms, as the model was before profiles) makes it the old certainty; a profile
// that does not validate is bad input, named.
TEST(RunCommandTest, TimingProfileDecidesTheBurstRange) {
  const std::string burst = std::string(REPLSIM_SCENARIOS) + "/async-burst-crash-failover.yaml";
  CliRun shipped = replsim("run " + burst);
  EXPECT_EQ(shipped.exit_code, 0) << shipped.out << shipped.err;
  EXPECT_NE(shipped.out.find("acknowledged and lost on replica: between "), std::string::npos) << shipped.out;
  std::string flat = R"({"format": "replsim-timing-profile", "version": 1, "created": "2026-12-07T00:00:00Z",
    "command": "test", "machine": {"cpu": "x", "cores": 1, "postgresql": "15"}, "samples": 1, "steps": {)";
  const std::string one =
      R"({"count": 1, "min_us": 1000, "p50_us": 1000, "p90_us": 1000, "p99_us": 1000, "max_us": 1000})";
  for (size_t i = 0; i < replsim::calibrated_steps().size(); ++i)
    flat += (i == 0 ? "\"" : ", \"") + replsim::calibrated_steps()[i] + "\": " + one;
  flat += R"(}, "wal_shipping": )" + one + R"(, "commit": {)";
  for (size_t i = 0; i < replsim::calibrated_commit_levels().size(); ++i)
    flat += (i == 0 ? "\"" : ", \"") + replsim::calibrated_commit_levels()[i] + "\": " + one;
  flat += "}}\n";
  CliRun fixed = replsim("run --timing " + write_temp("flat.json", flat) + " " + burst);
  EXPECT_NE(fixed.out.find("acknowledged and lost on replica: 20 of 20"), std::string::npos) << fixed.out << fixed.err;
  CliRun bad = replsim("run --timing " + write_temp("bad.json", "{}") + " " + burst);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--timing"), std::string::npos) << bad.err;
}

TEST(RunCommandTest, MissingFileIsBadInput) {
  CliRun r = replsim("run /nonexistent/scenario.yaml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot read"), std::string::npos) << r.err;
}

}  // namespace

namespace {

// Nothing untrusted reaches a terminal raw: a scenario whose values carry terminal escapes
// (clear screen, retitle the window, a C1 CSI) is printed with each control character shown as
// an escape, in the report and in error messages alike. (Names and settings refuse them.)
TEST(TerminalSafetyTest, ControlCharactersFromAScenarioArePrintedEscaped) {
  const std::string evil =
      "name: evil\ndescription: \"x\\u009b31m\"\ncluster:\n  primary: p\n  standbys: [r]\nsteps:\n"
      "  - insert: a\n    table: customers\n    values: {firstName: \"evil\\e[2J\\e]0;pwned\\a\\u009b31m\"}\n";
  CliRun r = replsim("run " + write_temp("evil.yaml", evil));
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos);
  EXPECT_EQ(r.out.find('\a'), std::string::npos);
  EXPECT_EQ(r.out.find("\xc2\x9b"), std::string::npos);
  EXPECT_NE(r.out.find("evil\\x1b[2J\\x1b]0;pwned\\x07"), std::string::npos) << r.out << r.err;
  // A file name echoed in an error message goes through the same filter.
  CliRun bad = replsim("run '/nonexistent/\x1b[2J.yaml'");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err.find('\x1b'), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("\\x1b[2J"), std::string::npos) << bad.err;
}

}  // namespace

namespace {

// "Could not run" has its own exit code, apart from a failed check (1) and bad input (2): a
// real run whose PostgreSQL binaries are not there exits 3 and says where it looked.
TEST(ExitCodeTest, AMissingPostgresIsCouldNotRun) {
  CliRun r = replsim(std::string("run --real --pg-bindir /nonexistent/pg/bin ") + REPLSIM_SCENARIOS +
                     "/drill-2.1-replication-lag.yaml");
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("/nonexistent/pg/bin"), std::string::npos) << r.err;
}

// Every verb that runs real PostgreSQL takes --pg-bindir, and a directory without the server
// binaries is "could not run" (3), never a failed check (1), with a message naming the directory
// and both ways to give the right one. No server is started.
class MissingPostgresTest : public ::testing::TestWithParam<const char*> {};

TEST_P(MissingPostgresTest, ExitsThreeNamingTheDirectoryAndTheOption) {
  std::string args = GetParam();
  const size_t file = args.find("FILE");
  if (file != std::string::npos)
    args.replace(file, 4, std::string(REPLSIM_SCENARIOS) + "/drill-2.1-replication-lag.yaml");
  CliRun r = replsim(args + " --pg-bindir /nonexistent/pg/bin");
  EXPECT_EQ(r.exit_code, 3) << args << "\n" << r.out << r.err;
  EXPECT_NE(r.err.find("/nonexistent/pg/bin"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--pg-bindir"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("REPLSIM_PG_BINDIR"), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(EveryRealVerb, MissingPostgresTest,
                         ::testing::Values("run --real FILE", "verify --no-store FILE", "check --real --runs 1",
                                           "check --real --keep-going --runs 1", "compare --quick", "calibrate"));

// --pg-bindir is in the help of every such verb, with the same default.
TEST(PgBindirHelpTest, EveryRealVerbDocumentsPgBindir) {
  for (const char* verb : {"run", "verify", "check", "compare", "calibrate"}) {
    CliRun r = replsim(std::string(verb) + " --help");
    EXPECT_NE(r.out.find("--pg-bindir"), std::string::npos) << verb << "\n" << r.out;
    EXPECT_NE(r.out.find("REPLSIM_PG_BINDIR"), std::string::npos) << verb;
    EXPECT_NE(r.out.find("/usr/lib/postgresql/15/bin"), std::string::npos) << verb;
  }
}

}  // namespace
