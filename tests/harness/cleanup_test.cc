// A run interrupted mid-scenario (SIGINT, SIGTERM) stops every server it started and removes
// its directory: the test runs the harness driver, signals it during a long `wait` step, and
// then looks for the PIDs and the directory the driver reported.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "harness/cluster.h"
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

DriverRun run_and_signal(int sig, const char* scenario = kLongScenario,
                         const char* when = "step 2:", const std::string& work_parent = "") {
  const std::string file = fs::temp_directory_path() / fmt::format("replsim-cleanup-{}.yaml", getpid());
  std::ofstream(file) << scenario;
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  pid_t child = fork();
  if (child == 0) {
    dup2(fds[1], 2);
    close(fds[0]);
    if (!work_parent.empty())
      execl(REPLSIM_HARNESS_DRIVER, REPLSIM_HARNESS_DRIVER, file.c_str(), "--work-parent", work_parent.c_str(),
            static_cast<char*>(nullptr));
    else execl(REPLSIM_HARNESS_DRIVER, REPLSIM_HARNESS_DRIVER, file.c_str(), static_cast<char*>(nullptr));
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
    if (!signalled && run.output.find(when) != std::string::npos) {
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

// System V segments whose creator is one of `pids` (/proc/sysvipc/shm: key shmid perms size
// cpid lpid nattch ...).
std::vector<int> segments_made_by(const std::vector<pid_t>& pids) {
  std::vector<int> out;
  std::ifstream in("/proc/sysvipc/shm");
  std::string line;
  std::getline(in, line);  // The header.
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    long key = 0, id = 0, perms = 0, size = 0, cpid = 0;
    if (!(fields >> key >> id >> perms >> size >> cpid)) continue;
    if (std::find(pids.begin(), pids.end(), static_cast<pid_t>(cpid)) != pids.end())
      out.push_back(static_cast<int>(id));
  }
  return out;
}

// Killed postmasters leave their System V segment behind; until the harness removed them,
// every run's left one each, and after 4096 no postgres could start on the machine
// (harness/sysv_segment.h). A crashed and restarted node, and the end of the run, which kills
// every server: none of their postmasters' segments is left.
TEST(HarnessCleanupTest, NoSharedMemorySegmentOutlivesAKilledServer) {
  std::vector<std::string> lines;
  HarnessOptions o = testing::test_options();
  o.keep = false;
  o.progress = [&](const std::string& line) { lines.push_back(line); };
  History h = testing::run_text(R"yaml(
name: crash-and-end
cluster:
  primary: primary
  standbys: [replica]
steps:
  - crash: replica
  - start: replica
  - catchup
)yaml",
                                o);
  std::vector<pid_t> pids;
  for (const auto& l : lines) {
    std::smatch m;
    if (std::regex_search(l, m, std::regex("pid (\\d+)"))) pids.push_back(std::stoi(m[1]));
  }
  ASSERT_GE(pids.size(), 2u) << "the postmasters the run started";
  EXPECT_EQ(segments_made_by(pids).size(), 0u) << "segments of the run's postmasters are still there";
  EXPECT_EQ(h.nodes.size(), 2u);
}

constexpr const char* kPausedScenario = R"yaml(
name: paused-then-killed
cluster:
  primary: primary
  standbys: [replica]
steps:
  - pause: replica
  - wait: 60s
)yaml";

// Processes whose working directory lies inside `dir`, with their state letter.
std::vector<std::pair<pid_t, char>> processes_in(const std::string& dir) {
  std::vector<std::pair<pid_t, char>> out;
  std::error_code ec;
  const std::string real = fs::canonical(dir, ec).string();
  if (ec) return out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::error_code rec;
    const std::string cwd = fs::read_symlink(e.path() / "cwd", rec).string();
    if (rec || cwd.rfind(real, 0) != 0) continue;
    std::ifstream stat(e.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const auto close = line.rfind(')');
    out.emplace_back(std::stoi(e.path().filename()), close != std::string::npos ? line[close + 2] : '?');
  }
  return out;
}

// A SIGKILL cannot be caught: the run leaves its directory, and the paused standby's processes
// stay stopped (state T). The next run finds the dead owner, kills them and removes it.
TEST(HarnessCleanupTest, TheNextRunRemovesWhatASigkilledRunLeft) {
  // A parent directory of its own: no other test's run may clean up first.
  std::string parent = (fs::temp_directory_path() / "replsim-leftover-test-XXXXXX").string();
  ASSERT_NE(mkdtemp(parent.data()), nullptr);
  if (geteuid() == 0) {
    const RunAs run_as = RunAs::resolve("postgres").value();  // The run directory's owner.
    ASSERT_EQ(chown(parent.c_str(), run_as.uid, run_as.gid), 0);
  }
  DriverRun killed = run_and_signal(SIGKILL, kPausedScenario, "step 1:", parent);
  ASSERT_FALSE(killed.dir.empty()) << killed.output;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // PR_SET_PDEATHSIG has fired.
  ASSERT_TRUE(fs::exists(killed.dir));
  const auto left = processes_in(killed.dir);
  ASSERT_FALSE(left.empty()) << "the killed run left no process: nothing to test";
  EXPECT_TRUE(std::any_of(left.begin(), left.end(), [](const auto& p) { return p.second == 'T'; }))
      << "the paused standby's processes are stopped";

  ::testing::internal::CaptureStderr();
  ClusterSpec spec;
  NodeSpec primary;
  primary.name = "primary";
  primary.role = NodeRole::kPrimary;
  spec.nodes = {primary};
  HarnessOptions options = testing::test_options();
  options.work_parent = parent;
  auto next = Cluster::create(options, spec);
  const std::string said = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(next.ok()) << next.status().message();
  EXPECT_NE(said.find("replsim: removed " + fs::canonical(fs::path(killed.dir).parent_path()).string()),
            std::string::npos)
      << said;
  EXPECT_NE(said.find("left by dead replsim PID"), std::string::npos) << said;
  EXPECT_FALSE(fs::exists(killed.dir));
  for (const auto& [pid, state] : left) EXPECT_FALSE(process_alive(pid)) << "pid " << pid << " state " << state;
  EXPECT_EQ(segments_made_by(killed.pids).size(), 0u) << "the killed run's postmasters' System V segments";
  EXPECT_TRUE(fs::exists((*next)->dir())) << "the new run's own directory is untouched";
  next->reset();
  fs::remove_all(parent);
}

}  // namespace
}  // namespace replsim::harness
