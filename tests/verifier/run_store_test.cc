// The run store on real RocksDB: round trips, ordering, ids, the lock, and a writer
// killed with SIGKILL mid-loop leaving a store that reopens with every run whole.
#include "verifier/run_store.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

namespace replsim {
namespace {

class RunStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/replsim-run-store-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string store_dir() const { return dir_ + "/nested/runs"; }

  static RunRecord record(const std::string& scenario, int n) {
    RunRecord r;
    r.summary.time_ms = 1764080000000 + n;
    r.summary.scenario = scenario;
    r.summary.file = "scenarios/" + scenario + ".yaml";
    r.summary.seed = static_cast<uint64_t>(n);
    r.summary.verdict = n % 2 == 0 ? RunSummary::Verdict::kAgree : RunSummary::Verdict::kDisagree;
    r.summary.passed = n % 2 == 0;
    r.scenario_text = "name: " + scenario + "\n";
    r.prediction_json = R"({"source":"simulator"})";
    r.history_json = R"({"source":"postgresql"})";
    r.verification_json = std::string(4096, 'v');  // Runs are a few kB to a few hundred kB.
    return r;
  }

  std::string dir_;
};

TEST_F(RunStoreTest, AddedRunsListInOrderAndReadBackWhole) {
  auto store = RunStore::open(store_dir());
  ASSERT_TRUE(store.ok()) << store.status().message();
  for (int i = 0; i < 12; ++i) {
    auto id = (*store)->add(record("drill", i));
    ASSERT_TRUE(id.ok()) << id.status().message();
    EXPECT_EQ(*id, canonical_run_id(std::to_string(i + 1)));
  }
  auto runs = (*store)->list();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 12u);
  EXPECT_EQ((*runs)[0].id, "00000001");
  EXPECT_EQ((*runs)[11].id, "00000012");  // Zero padding keeps key order = run order past 9.
  EXPECT_EQ((*runs)[3].verdict, RunSummary::Verdict::kDisagree);
  auto run = (*store)->get("12");
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->summary.seed, 11u);
  EXPECT_EQ(run->scenario_text, "name: drill\n");
  EXPECT_EQ(run->history_json, R"({"source":"postgresql"})");
  EXPECT_EQ(run->verification_json.size(), 4096u);
}

TEST_F(RunStoreTest, ReopenedStoreKeepsRunsAndContinuesNumbering) {
  {
    auto store = RunStore::open(store_dir());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->add(record("a", 0)).ok());
  }
  auto store = RunStore::open(store_dir());
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto id = (*store)->add(record("b", 1));
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "00000002");
  EXPECT_EQ((*store)->list()->size(), 2u);
}

TEST_F(RunStoreTest, UnknownAndMalformedIdsAreErrors) {
  auto store = RunStore::open(store_dir());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->get("7").status().code(), Status::Code::kNotFound);
  EXPECT_EQ((*store)->get("seven").status().code(), Status::Code::kInvalidInput);
  EXPECT_EQ(canonical_run_id("42"), "00000042");
  EXPECT_EQ(canonical_run_id("-1"), "");
}

TEST_F(RunStoreTest, SecondOpenWaitsThenReportsTheStoreInUse) {
  auto first = RunStore::open(store_dir());
  ASSERT_TRUE(first.ok());
  auto second = RunStore::open(store_dir(), /*lock_wait_ms=*/100);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("in use"), std::string::npos) << second.status().message();
}

TEST_F(RunStoreTest, DefaultDirectoryFollowsReplsimHome) {
  setenv("REPLSIM_HOME", dir_.c_str(), 1);
  EXPECT_EQ(RunStore::default_dir(), dir_ + "/runs");
  unsetenv("REPLSIM_HOME");
  EXPECT_EQ(RunStore::default_dir(), (std::filesystem::current_path() / ".replsim" / "runs").string());
}

// A replsim killed at any moment must leave a store that reopens with every run whole:
// a child writes runs as fast as it can, the parent SIGKILLs it mid-stream, reopens the
// store and reads every run back. Repeated, so the kill lands at different points.
TEST_F(RunStoreTest, WriterKilledMidStreamLeavesAReadableStore) {
  size_t runs_before = 0;
  for (int round = 0; round < 3; ++round) {
    int ready[2];
    ASSERT_EQ(pipe(ready), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(ready[0]);
      auto store = RunStore::open(store_dir());
      if (!store.ok()) _exit(3);
      for (int i = 0;; ++i) {
        if (!(*store)->add(record("kill", i)).ok()) _exit(4);
        if (i == 0 && write(ready[1], "r", 1) != 1) _exit(5);  // The first run is in: the parent may kill.
      }
    }
    close(ready[1]);
    pollfd first_run{ready[0], POLLIN, 0};
    ASSERT_EQ(poll(&first_run, 1, 20000), 1) << "the writer never wrote a run";
    close(ready[0]);
    std::this_thread::sleep_for(std::chrono::milliseconds(10 + 40 * round));
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer exited by itself with " << WEXITSTATUS(status);
    auto store = RunStore::open(store_dir());
    ASSERT_TRUE(store.ok()) << store.status().message();
    auto runs = (*store)->list();
    ASSERT_TRUE(runs.ok()) << runs.status().message();
    EXPECT_GT(runs->size(), runs_before) << "the writer wrote nothing in round " << round;
    for (size_t i = 0; i < runs->size(); ++i) {
      const RunSummary& s = (*runs)[i];
      EXPECT_EQ(s.id, canonical_run_id(std::to_string(i + 1)));  // No gaps: each run is all or nothing.
      auto run = (*store)->get(s.id);
      ASSERT_TRUE(run.ok()) << run.status().message();
      EXPECT_EQ(run->verification_json.size(), 4096u);
    }
    runs_before = runs->size();
    // The counter survived too: the next run continues after the last whole one.
    auto id = (*store)->add(record("after", 0));
    ASSERT_TRUE(id.ok());
    EXPECT_EQ(*id, canonical_run_id(std::to_string(runs_before + 1)));
    ++runs_before;
  }
}

// A summary's verdict is stored as its word and read back as the same verdict; no other word is one.
TEST(RunSummaryTest, VerdictWordsRoundTrip) {
  for (auto v : {RunSummary::Verdict::kAgree, RunSummary::Verdict::kDisagree, RunSummary::Verdict::kError,
                 RunSummary::Verdict::kCounterexample})
    EXPECT_EQ(parse_run_verdict(to_string(v)), v);
  EXPECT_FALSE(parse_run_verdict("maybe").has_value());
  EXPECT_EQ(run_verdict(Verification::Verdict::kDisagree), RunSummary::Verdict::kDisagree);
}

}  // namespace
}  // namespace replsim
