#include "course_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

namespace replsim::testing {

Workdir::Workdir() {
  char tmpl[] = "/tmp/replsim-course-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return;
  path_ = tmpl;
  std::error_code ec;
  std::filesystem::create_directory_symlink(source_dir() + "/scenarios", path_ + "/scenarios", ec);
}

Workdir::~Workdir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

CommandRun run_replsim(const std::vector<std::string>& args, const std::string& dir, int timeout_s) {
  CommandRun r;
  const std::string out_path = dir + "/.command.out", err_path = dir + "/.command.err";
  std::vector<std::string> argv = {REPLSIM_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0 || err < 0 || chdir(dir.c_str()) != 0) _exit(126);
    dup2(out, 1);
    dup2(err, 2);
    unsetenv("REPLSIM_HOME");
    setenv("XDG_DATA_HOME", dir.c_str(), 1);  // The run store in the test's directory, not the home.
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  if (pid < 0) return r;
  setpgid(pid, pid);  // Also here, so that the group exists before any kill below.
  int status = 0;
  while (true) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() - start > std::chrono::seconds(timeout_s)) {
      r.timed_out = true;
      kill(-pid, SIGTERM);  // replsim stops its clusters on SIGTERM.
      for (int i = 0; i < 100 && waitpid(pid, &status, WNOHANG) != pid; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_text(out_path) + read_text(err_path);
  return r;
}

int run_and_check_commands(const std::vector<Chapter>& chapters, bool pg) {
  int ran = 0;
  for (const Chapter& chapter : chapters) {
    Workdir dir;
    EXPECT_FALSE(dir.path().empty()) << "cannot make a temporary directory";
    if (dir.path().empty()) return ran;
    for (const CourseCommand& cmd : chapter.commands) {
      if (cmd.needs_pg != pg) continue;
      SCOPED_TRACE("docs/course/" + cmd.chapter + ":" + std::to_string(cmd.line) + ": " + cmd.text);
      const CommandRun run = run_replsim(cmd.args, dir.path(), pg ? 300 : 60);
      ++ran;
      ::testing::Test::RecordProperty(cmd.chapter + ":" + std::to_string(cmd.line) + "_seconds",
                                      std::to_string(run.seconds));
      EXPECT_FALSE(run.timed_out) << "ran over its time; it printed:\n" << run.out;
      EXPECT_EQ(run.exit_code, cmd.expected_exit) << "it printed:\n" << run.out;
      std::string missing;
      EXPECT_TRUE(output_matches(cmd.expected_lines, run.out, &missing))
          << "the chapter says it prints\n  " << missing
          << "\n(in this order after the lines before it), but it printed:\n"
          << run.out;
      if (!cmd.html.empty()) {
        const std::string page = read_text(dir.path() + "/" + cmd.html);
        EXPECT_NE(page.find("<html"), std::string::npos) << "no page written to " << cmd.html;
        EXPECT_NE(page.find("</html>"), std::string::npos) << cmd.html << " is cut short";
      }
    }
  }
  return ran;
}

}  // namespace replsim::testing
