// A run interrupted mid-scenario (SIGINT, SIGTERM) stops every server it started and removes
// its directory: the test runs the harness driver, signals it during a long `wait` step, and
// then looks for the PIDs and the directory the driver reported.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "harness/subprocess.h"
#include "harness_test_util.h"

namespace replsim::harness {
namespace {

namespace fs = std::filesystem;

constexpr const char* kLongScenario = R"yaml(
name: long-wait
cluster:
  primary: primary
  standbys: [replica]
  archive_mode: true
  synchronous_standby_names: "FIRST 1 (replica)"
steps:
  - partition: replica
  - insert: charlie
    table: customers
    values: {firstName: Charlie, lastName: Davis}
  - wait: 60s
)yaml";

struct DriverRun {
  std::string dir;
  std::vector<pid_t> pids;
  int status = 0;
  std::string output;
};

DriverRun run_and_signal(int sig) {
  const std::string file = fs::temp_directory_path() / fmt::format("replsim-cleanup-{}.yaml", getpid());
  std::ofstream(file) << kLongScenario;
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  pid_t child = fork();
  if (child == 0) {
    dup2(fds[1], 2);
    close(fds[0]);
    execl(REPLSIM_HARNESS_DRIVER, REPLSIM_HARNESS_DRIVER, file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  DriverRun run;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool signalled = false;
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    struct pollfd p = {fds[0], POLLIN, 0};
    if (poll(&p, 1, 100) > 0) {
      ssize_t n = read(fds[0], buf, sizeof buf);
      if (n <= 0) break;
      run.output.append(buf, static_cast<size_t>(n));
    }
    if (!signalled && run.output.find("step 2:") != std::string::npos) {
      // Mid-scenario: a commit is blocked and the driver sits in the 60 s wait.
      std::smatch m;
      std::regex dir_re("run directory (\\S+)");
      if (std::regex_search(run.output, m, dir_re)) run.dir = m[1];
      std::regex pid_re("pid (\\d+)");
      for (auto it = std::sregex_iterator(run.output.begin(), run.output.end(), pid_re); it != std::sregex_iterator();
           ++it)
        run.pids.push_back(std::stoi((*it)[1]));
      // Every server process, not just the postmasters the driver printed.
      std::vector<pid_t> more;
      for (pid_t p : run.pids)
        for (pid_t d : descendants(p)) more.push_back(d);
      run.pids.insert(run.pids.end(), more.begin(), more.end());
      kill(child, sig);
      signalled = true;
    }
  }
  close(fds[0]);
  if (!signalled) kill(child, SIGKILL);
  waitpid(child, &run.status, 0);
  fs::remove(file);
  EXPECT_TRUE(signalled) << run.output;
  return run;
}

void expect_nothing_left(const DriverRun& run) {
  ASSERT_FALSE(run.dir.empty()) << run.output;
  ASSERT_GE(run.pids.size(), 2u) << run.output;  // Both postmasters at least.
  EXPECT_TRUE(WIFEXITED(run.status) && WEXITSTATUS(run.status) == 1) << run.output;
  EXPECT_NE(run.output.find("interrupted"), std::string::npos) << run.output;
  for (pid_t p : run.pids) EXPECT_FALSE(process_alive(p)) << "pid " << p << " outlived the run\n" << run.output;
  EXPECT_FALSE(fs::exists(run.dir)) << run.dir;
  // No process anywhere still runs on a data directory of this run.
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::ifstream cmd(e.path() / "cmdline");
    std::string line;
    std::getline(cmd, line, '\0');
    std::string all = line;
    while (std::getline(cmd, line, '\0')) all += " " + line;
    EXPECT_EQ(all.find(run.dir), std::string::npos) << "process " << e.path() << " still uses " << run.dir;
  }
}

TEST(HarnessCleanupTest, SigintMidScenarioLeavesNoProcessOrDirectory) { expect_nothing_left(run_and_signal(SIGINT)); }

TEST(HarnessCleanupTest, SigtermMidScenarioLeavesNoProcessOrDirectory) { expect_nothing_left(run_and_signal(SIGTERM)); }

// The normal end of a run too: the PIDs it reported are gone with its directory.
TEST(HarnessCleanupTest, NoServerOutlivesACompletedRun) {
  std::vector<std::string> lines;
  HarnessOptions o = testing::test_options();
  o.keep = false;
  o.progress = [&](const std::string& line) { lines.push_back(line); };
  History h = testing::run_text(R"yaml(
name: short
cluster:
  primary: primary
  standbys: [replica]
steps:
  - catchup
)yaml",
                                o);
  std::vector<pid_t> pids;
  std::string dir;
  for (const auto& l : lines) {
    std::smatch m;
    if (std::regex_search(l, m, std::regex("pid (\\d+)"))) pids.push_back(std::stoi(m[1]));
    if (std::regex_search(l, m, std::regex("run directory (\\S+)"))) dir = m[1];
  }
  ASSERT_EQ(pids.size(), 2u);
  for (pid_t p : pids) EXPECT_FALSE(process_alive(p));
  EXPECT_FALSE(fs::exists(dir));
}

}  // namespace
}  // namespace replsim::harness
