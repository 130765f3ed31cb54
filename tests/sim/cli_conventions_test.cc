// The command-line conventions of issue 22 ("The command line"), on the built binary:
// every --json output of a simulator-only command is one whole JSON document (parsed with
// nlohmann::json::parse, which refuses trailing data); a mistyped subcommand is named with the
// nearest real one; a directory where a file belongs, or a negative seed or count, is bad input
// (exit 2) with a clear message; every --help says FILE or DIR and lists the exit codes; and
// `replsim runs` says what each run said, in aligned columns. (verify, compare and calibrate
// --json need PostgreSQL: tests/verifier/json_output_pg_test.cc and tests/compare.)
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "cli_output.h"
#include "verifier/run_store.h"

namespace replsim {
namespace {

using testing::CliOutput;

const std::string kScenarios = REPLSIM_SCENARIOS;
const std::string kLag = kScenarios + "/drill-2.1-replication-lag.yaml";
const std::string kSync = kScenarios + "/drill-2.1-sync.yaml";

class CliConventionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("replsim-cli-conventions-" + std::to_string(getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // `replsim ARGS` with the run store under this test's directory.
  CliOutput replsim(const std::string& args) const {
    const std::string out = (dir_ / "stdout").string(), err = (dir_ / "stderr").string();
    const std::string command = "REPLSIM_HOME=" + (dir_ / "home").string() + " " + REPLSIM_BINARY + " " + args + " >" +
                                out + " 2>" + err;
    const int status = std::system(command.c_str());
    return CliOutput{WIFEXITED(status) ? WEXITSTATUS(status) : -1, testing::slurp(out), testing::slurp(err)};
  }

  // The whole of stdout as one JSON document; fails the test on anything else (trailing data too).
  static nlohmann::json parse_whole(const CliOutput& r) {
    nlohmann::json doc;
    EXPECT_NO_THROW(doc = nlohmann::json::parse(r.out)) << r.out.substr(0, 2000) << r.err;
    return doc;
  }

  std::filesystem::path dir_;
};

// --- One JSON document per --json.

TEST_F(CliConventionsTest, RunOfOneFilePrintsItsReportAsBefore) {
  const CliOutput r = replsim("run --json " + kLag);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json doc = parse_whole(r);
  ASSERT_TRUE(doc.is_object());
  EXPECT_TRUE(doc.contains("expectations"));
  EXPECT_NE(doc.value("schema", ""), "replsim.run_report/1");
}

TEST_F(CliConventionsTest, RunOfSeveralFilesPrintsOneWrapperDocument) {
  const CliOutput r = replsim("run --json " + kLag + " " + kSync);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json doc = parse_whole(r);
  EXPECT_EQ(doc["schema"], "replsim.run_report/1");
  ASSERT_EQ(doc["runs"].size(), 2u);
  EXPECT_EQ(doc["runs"][0]["file"], kLag);
  EXPECT_EQ(doc["runs"][1]["file"], kSync);
  for (const auto& run : doc["runs"]) {
    EXPECT_EQ(run["exit_code"], 0);
    EXPECT_TRUE(run["report"].contains("expectations")) << run.dump();
  }
  EXPECT_EQ(doc["passed"], true);
  EXPECT_EQ(doc["exit_code"], 0);
  // Each element's report is the one-file document.
  EXPECT_EQ(doc["runs"][0]["report"], parse_whole(replsim("run --json " + kLag)));
}

TEST_F(CliConventionsTest, RunOfSeveralFilesCarriesEachFailureInTheDocument) {
  const CliOutput r = replsim("run --json " + kLag + " " + kScenarios);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  const nlohmann::json doc = parse_whole(r);
  ASSERT_EQ(doc["runs"].size(), 2u);
  EXPECT_TRUE(doc["runs"][0].contains("report"));
  EXPECT_EQ(doc["runs"][1]["exit_code"], 2);
  EXPECT_EQ(doc["runs"][1]["error"], kScenarios + ": is a directory");
  EXPECT_EQ(doc["passed"], false);
  EXPECT_EQ(doc["exit_code"], 2);
}

TEST_F(CliConventionsTest, CheckListRunsAndShowEachPrintOneDocument) {
  EXPECT_TRUE(parse_whole(replsim("check --list --json")).is_array());
  const std::string out = (dir_ / "out").string();
  const CliOutput check = replsim("check --property async-failover-loses-nothing --runs 200 --seed 1 --jobs 1 --out " +
                                  out + " --json");
  EXPECT_EQ(check.exit_code, 0) << check.err;
  const nlohmann::json report = parse_whole(check);
  ASSERT_EQ(report["properties"].size(), 1u);
  EXPECT_EQ(report["properties"][0]["result"], "refuted");

  const nlohmann::json runs = parse_whole(replsim("runs --json"));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["verdict"], "counterexample");
  EXPECT_EQ(runs[0]["passed"], true);  // As check said: refuted, the documented result (exit 0).
  EXPECT_EQ(runs[0]["result"], "refuted as expected");
  const nlohmann::json shown = parse_whole(replsim("runs show " + runs[0]["id"].get<std::string>() + " --json"));
  EXPECT_EQ(shown["counterexample"]["property"], "async-failover-loses-nothing");
  EXPECT_EQ(shown["result"], "refuted as expected");
  EXPECT_TRUE(shown["prediction"].is_object());
  // The text form too (it failed on a counterexample's record before: no verification in it).
  const CliOutput text = replsim("runs show " + runs[0]["id"].get<std::string>());
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("counterexample of async-failover-loses-nothing (refuted as expected)"),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("acknowledged and lost"), std::string::npos) << text.out;

  const CliOutput empty = replsim("runs --json --store " + (dir_ / "nothing-here").string());
  EXPECT_EQ(empty.exit_code, 0);
  EXPECT_TRUE(parse_whole(empty).empty());
}

TEST_F(CliConventionsTest, WalDumpPrintsOneDocument) {
  const std::string wal = (dir_ / "wal").string();
  ASSERT_EQ(replsim("wal generate " + wal + " --records 300 --seed 3 --segment-size 1048576").exit_code, 0);
  for (const char* extra : {"", " --stats"}) {
    const CliOutput r = replsim("wal dump " + wal + " --segment-size 1048576 --json" + extra);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_GE(parse_whole(r)["records"].get<int64_t>(), 300) << extra;
  }
}

// --- Mistyped subcommands.

TEST_F(CliConventionsTest, AMistypedCommandNamesTheNearestOne) {
  struct Case {
    const char* args;
    const char* message;
  };
  for (const Case& c : {Case{"rnu", "replsim: unknown command 'rnu'; did you mean 'run'?"},
                        Case{"verfy x.yaml", "replsim: unknown command 'verfy'; did you mean 'verify'?"},
                        Case{"chek", "replsim: unknown command 'chek'; did you mean 'check'?"},
                        Case{"runs shwo 1", "replsim runs: unknown command 'shwo'; did you mean 'show'?"},
                        Case{"wal dmp x", "replsim wal: unknown command 'dmp'; did you mean 'dump'?"},
                        Case{"frobnicate", "replsim: unknown command 'frobnicate'; the commands are: run, verify"}}) {
    const CliOutput r = replsim(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

// --- A directory where a file belongs.

TEST_F(CliConventionsTest, ADirectoryWhereAFileBelongsIsBadInput) {
  const std::string d = dir_.string();
  struct Case {
    std::string args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"run " + kScenarios, kScenarios + ": is a directory"},
      {"run " + kLag + "/", kLag + "/"},  // Not a directory: unreadable, still bad input.
      {"verify --no-store " + kScenarios, kScenarios + ": is a directory"},
      {"run --timing " + d + " " + kLag, "--timing: " + d + ": is a directory"},
      // run --html and verify --html take a directory too (one page per scenario and an index:
      // docs/timelines.md, "Index page"); HtmlIndexTest and VerifyHtmlDirPgTest cover that.
      {"check --html " + d + " --runs 1", "--html: " + d + ": is a directory"},
      {"calibrate --out " + d, "--out: " + d + ": is a directory"},
      {"calibrate --merge " + d, "--merge: " + d + ": is a directory"},
      {"compare --html " + d, "--html: " + d + ": is a directory"},
  };
  for (const Case& c : cases) {
    const CliOutput r = replsim(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << c.args << ": " << r.out;
  }
}

// --- Negative seeds and counts are refused, not wrapped to 2^64 - 1.

TEST_F(CliConventionsTest, ANegativeSeedOrCountIsRefused) {
  const std::string wal = (dir_ / "wal").string();
  for (const std::string& args :
       {"run --seed -1 " + kLag, "verify --no-store --seed -1 " + kLag, std::string("check --seed -1 --runs 1"),
        "wal generate " + wal + " --seed -1", "wal generate " + wal + " --records -5",
        "wal generate " + wal + " --segment-size -1", "wal dump " + wal + " --segment-size -1"}) {
    const CliOutput r = replsim(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_NE(r.err.find("is not a whole number from 0 to 18446744073709551615 (no sign)"), std::string::npos)
        << args << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << args;
  }
  EXPECT_FALSE(std::filesystem::exists(wal));
  // A range-checked count says its range.
  EXPECT_EQ(replsim("check --runs -1").exit_code, 2);
  // Leading zeros are decimal, not octal: --seed 010 is seed 10.
  EXPECT_EQ(replsim("run --json --seed 010 " + kLag).out, replsim("run --json --seed 10 " + kLag).out);
  EXPECT_NE(replsim("run --json --seed 8 " + kLag).out, replsim("run --json --seed 10 " + kLag).out);
}

// --- Help: FILE and DIR, and the exit codes.

TEST_F(CliConventionsTest, EveryHelpListsItsExitCodes) {
  for (const char* command : {"", "run", "verify", "check", "compare", "calibrate", "runs", "runs show", "runs repair",
                              "wal", "wal dump", "wal generate"}) {
    const CliOutput r = replsim(std::string(command) + " --help");
    EXPECT_EQ(r.exit_code, 0) << command;
    EXPECT_NE(r.out.find("Exit codes:\n  0     "), std::string::npos) << command << "\n" << r.out;
    EXPECT_NE(r.out.find("\n  2     bad input"), std::string::npos) << command << "\n" << r.out;
    EXPECT_NE(r.out.find("\n  4     internal error"), std::string::npos) << command;
  }
  for (const char* real : {"", "run", "verify", "check", "compare", "calibrate"}) {
    const CliOutput r = replsim(std::string(real) + " --help");
    EXPECT_NE(r.out.find("\n  3     could not run"), std::string::npos) << real << "\n" << r.out;
    EXPECT_NE(r.out.find("128+N interrupted"), std::string::npos) << real;
  }
  EXPECT_NE(replsim("run --help").out.find("\n  1     an expectation did not hold"), std::string::npos);
  EXPECT_NE(replsim("wal dump --help").out.find("\n  1     the WAL is damaged"), std::string::npos);
}

TEST_F(CliConventionsTest, HelpSaysFileAndDirNotText) {
  const CliOutput run = replsim("run --help");
  EXPECT_EQ(run.out.find("TEXT"), std::string::npos) << run.out;
  for (const char* option : {"files FILE", "--html FILE", "--timing FILE", "--pg-bindir DIR"})
    EXPECT_NE(run.out.find(option), std::string::npos) << option << "\n" << run.out;
  const CliOutput calibrate = replsim("calibrate --help");
  EXPECT_EQ(calibrate.out.find("TEXT"), std::string::npos) << calibrate.out;
  for (const char* option : {"--out FILE", "--merge FILE"})
    EXPECT_NE(calibrate.out.find(option), std::string::npos) << option << "\n" << calibrate.out;
  const CliOutput check = replsim("check --help");
  for (const char* option : {"--out DIR", "--html FILE", "--timing FILE"})
    EXPECT_NE(check.out.find(option), std::string::npos) << option << "\n" << check.out;
  EXPECT_NE(replsim("verify --help").out.find("files FILE"), std::string::npos);
  EXPECT_NE(replsim("verify --help").out.find("--store DIR"), std::string::npos);
  EXPECT_NE(replsim("runs --help").out.find("--store DIR"), std::string::npos);
  EXPECT_NE(replsim("compare --help").out.find("--html FILE"), std::string::npos);
  EXPECT_NE(replsim("compare --help").out.find("--fsync on|off"), std::string::npos);
  EXPECT_NE(replsim("wal dump --help").out.find("path FILE|DIR"), std::string::npos);
  EXPECT_NE(replsim("wal generate --help").out.find("dir DIR"), std::string::npos);
}

// --- `replsim runs` says what the run said, in aligned columns.

RunRecord record(const std::string& scenario, RunSummary::Verdict verdict, bool passed, const std::string& property) {
  RunRecord r;
  r.summary.time_ms = 1'700'000'000'000;
  r.summary.scenario = scenario;
  r.summary.file = scenario + ".yaml";
  r.summary.seed = 7;
  r.summary.verdict = verdict;
  r.summary.passed = passed;
  r.verification_json = property.empty() ? "{}" : nlohmann::json{{"property", property}}.dump();
  return r;
}

TEST_F(CliConventionsTest, RunsListingSaysWhatEachRunSaidInAlignedColumns) {
  const std::string store = (dir_ / "store").string();
  {
    auto s = RunStore::open(store);
    ASSERT_TRUE(s.ok()) << s.status().message();
    using V = RunSummary::Verdict;
    ASSERT_TRUE((*s)->add(record("agreed", V::kAgree, true, "")).ok());
    ASSERT_TRUE((*s)->add(record("disagreed", V::kDisagree, false, "")).ok());
    // As `check` records a refuted false promise now, and as it did before (passed false).
    ASSERT_TRUE((*s)->add(record("refuted-now", V::kCounterexample, true, "async-failover-loses-nothing")).ok());
    ASSERT_TRUE((*s)->add(record("refuted-before", V::kCounterexample, false, "sync-off-crash-loses-nothing")).ok());
    ASSERT_TRUE((*s)->add(record("violated", V::kCounterexample, false, "standby-is-prefix")).ok());
    ASSERT_TRUE((*s)->add(record("stopped", V::kInterrupted, false, "")).ok());
  }
  const CliOutput r = replsim("runs --store " + store);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines;
  for (size_t at = 0, nl; (nl = r.out.find('\n', at)) != std::string::npos; at = nl + 1)
    lines.push_back(r.out.substr(at, nl - at));
  ASSERT_EQ(lines.size(), 7u) << r.out;
  const size_t verdict = lines[0].find("VERDICT"), result = lines[0].find("RESULT"),
               scenario = lines[0].find("SCENARIO");
  ASSERT_NE(scenario, std::string::npos) << lines[0];
  const std::vector<std::pair<std::string, std::string>> expected = {{"agree", "pass"},
                                                                     {"disagree", "FAIL"},
                                                                     {"counterexample", "refuted as expected"},
                                                                     {"counterexample", "refuted as expected"},
                                                                     {"counterexample", "FAIL: violated"},
                                                                     {"interrupted", "FAIL"}};
  const std::vector<std::string> names = {"agreed",         "disagreed", "refuted-now",
                                          "refuted-before", "violated",  "stopped"};
  for (size_t i = 0; i < expected.size(); ++i) {
    const std::string& line = lines[i + 1];
    EXPECT_EQ(line.compare(verdict, expected[i].first.size() + 1, expected[i].first + " "), 0) << r.out;
    EXPECT_EQ(line.compare(result, expected[i].second.size() + 1, expected[i].second + " "), 0) << r.out;
    EXPECT_EQ(line.compare(scenario, names[i].size() + 2, names[i] + " ("), 0) << r.out;
  }
  const nlohmann::json json = parse_whole(replsim("runs --json --store " + store));
  ASSERT_EQ(json.size(), 6u);
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(json[i]["result"], expected[i].second) << i;
}

// End to end: a campaign that refutes its false promise exits 0, and the listing agrees.
TEST_F(CliConventionsTest, ARefutedFalsePromiseIsListedAsRefutedAsExpected) {
  const CliOutput check = replsim("check --property async-failover-loses-nothing --runs 200 --seed 1 --jobs 1 --out " +
                                  (dir_ / "out").string());
  ASSERT_EQ(check.exit_code, 0) << check.out << check.err;
  const CliOutput runs = replsim("runs");
  EXPECT_NE(runs.out.find("counterexample  refuted as expected  "), std::string::npos) << runs.out;
  EXPECT_EQ(runs.out.find("FAIL"), std::string::npos) << runs.out;
}

}  // namespace
}  // namespace replsim
