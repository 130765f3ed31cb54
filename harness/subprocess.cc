#include "harness/subprocess.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "harness/interrupt.h"

extern char** environ;

namespace replsim::harness {

namespace {

// The harness's environment with `extra` added, later entries replacing earlier ones of the
// same name. Built before fork: the child may only make async-signal-safe calls.
std::vector<std::string> merged_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> out;
  auto name_of = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry = *e;
    const bool replaced = std::any_of(extra.begin(), extra.end(),
                                      [&](const std::string& x) { return name_of(x) == name_of(entry); });
    if (!replaced) out.push_back(entry);
  }
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

}  // namespace

Result<RunAs> RunAs::resolve(const std::string& server_user) {
  RunAs r;
  r.uid = geteuid();
  r.gid = getegid();
  if (r.uid != 0) {
    struct passwd* pw = getpwuid(r.uid);
    r.user = pw != nullptr ? pw->pw_name : fmt::format("uid{}", r.uid);
    return r;
  }
  // PostgreSQL refuses to run as root, so a root harness runs the servers as this user.
  struct passwd pwd = {};
  struct passwd* found = nullptr;
  std::vector<char> buf(16384);
  getpwnam_r(server_user.c_str(), &pwd, buf.data(), buf.size(), &found);
  if (found == nullptr || found->pw_uid == 0) {
    return Status::InvalidInput(
        fmt::format("running as root, the harness runs PostgreSQL as the system user '{}' (PostgreSQL refuses to run "
                    "as root), but there is no such non-root user; create it or run as an ordinary user",
                    server_user));
  }
  r.switch_user = true;
  r.uid = found->pw_uid;
  r.gid = found->pw_gid;
  r.user = found->pw_name;
  int count = 64;
  r.groups.resize(count);
  if (getgrouplist(found->pw_name, found->pw_gid, r.groups.data(), &count) < 0) {
    r.groups.resize(count);
    getgrouplist(found->pw_name, found->pw_gid, r.groups.data(), &count);
  }
  r.groups.resize(count);
  return r;
}

Result<pid_t> spawn(const SpawnOptions& options, const RunAs& run_as) {
  if (options.argv.empty()) return Status::InvalidInput("spawn: empty argv");
  if (access(options.argv[0].c_str(), X_OK) != 0) {
    return Status::NotFound(fmt::format("cannot execute {}: {}", options.argv[0], strerror(errno)));
  }
  // Everything the child needs is prepared here: between fork and exec in a threaded
  // process only async-signal-safe calls are allowed.
  std::vector<char*> argv;
  for (const auto& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& entry : options.extra_env) {
    if (entry.find('=') == std::string::npos || entry.front() == '=') {
      return Status::InvalidInput(fmt::format("spawn: environment entry '{}' is not NAME=value", entry));
    }
  }
  const std::vector<std::string> env_entries = merged_environment(options.extra_env);
  std::vector<char*> envp;
  for (const auto& e : env_entries) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const char* out = options.output_path.empty() ? "/dev/null" : options.output_path.c_str();
  const char* cwd = options.working_dir.empty() ? nullptr : options.working_dir.c_str();
  const pid_t parent = getpid();

  pid_t pid = fork();
  if (pid < 0) return Status::IoError(fmt::format("fork: {}", strerror(errno)));
  if (pid == 0) {
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    if (run_as.switch_user) {
      if (setgroups(run_as.groups.size(), run_as.groups.data()) != 0 || setgid(run_as.gid) != 0 ||
          setuid(run_as.uid) != 0) {
        _exit(126);
      }
    }
    // Set after setuid: a credential change clears the parent-death signal.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);
    int fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int null_in = open("/dev/null", O_RDONLY);
    if (fd < 0 || null_in < 0) _exit(126);
    dup2(null_in, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0) {
      for (int i = 3; i < 4096; ++i) close(i);
    }
    if (cwd != nullptr && chdir(cwd) != 0) _exit(126);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  return pid;
}

Status run_program(const SpawnOptions& options, const RunAs& run_as, int64_t timeout_ms) {
  auto pid = spawn(options, run_as);
  if (!pid.ok()) return pid.status();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string why;
  int status = 0;
  for (int sleep_us = 200;; sleep_us = std::min(sleep_us * 2, 10000)) {
    pid_t r = waitpid(*pid, &status, WNOHANG);
    if (r == *pid) break;
    if (r < 0 && errno != EINTR) return Status::IoError(fmt::format("waitpid: {}", strerror(errno)));
    if (interrupted()) why = "interrupted";
    if (std::chrono::steady_clock::now() > deadline) why = fmt::format("timed out after {} ms", timeout_ms);
    if (!why.empty()) {
      kill(*pid, SIGKILL);
      waitpid(*pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
  }
  const std::string name = std::filesystem::path(options.argv[0]).filename();
  if (!why.empty()) {
    return Status::Timeout(fmt::format("{} {}\n{}", name, why, tail_file(options.output_path, 20)));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::Ok();
  std::string how = WIFEXITED(status) ? fmt::format("exited with status {}", WEXITSTATUS(status))
                                      : fmt::format("was killed by signal {}", WTERMSIG(status));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 126) how += " (could not switch user or open its output)";
  return Status::Failed(fmt::format("{} {}:\n{}", name, how, tail_file(options.output_path, 20)));
}

namespace {

struct ProcStat {
  pid_t ppid = 0;
  char state = '?';
  std::string start_time;  // Field 22, starttime: clock ticks since boot.
};

bool read_stat(pid_t pid, ProcStat* out) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string line;
  if (!std::getline(in, line)) return false;
  // comm may hold spaces and parentheses: the fields after it start after the last ')'.
  auto close = line.rfind(')');
  if (close == std::string::npos || close + 4 > line.size()) return false;
  out->state = line[close + 2];
  out->ppid = static_cast<pid_t>(std::strtol(line.c_str() + close + 4, nullptr, 10));
  std::istringstream fields(line.substr(close + 2));  // From field 3, state.
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i)
    if (i == 22) out->start_time = field;
  return true;
}

}  // namespace

std::vector<pid_t> descendants(pid_t root) {
  std::multimap<pid_t, pid_t> children;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = static_cast<pid_t>(std::stol(name));
    ProcStat st;
    if (read_stat(pid, &st) && st.state != 'Z') children.emplace(st.ppid, pid);
  }
  std::vector<pid_t> out;
  std::deque<pid_t> frontier{root};
  // Bounded: a process tree cannot hold more processes than /proc listed.
  while (!frontier.empty() && out.size() <= children.size()) {
    pid_t p = frontier.front();
    frontier.pop_front();
    auto [lo, hi] = children.equal_range(p);
    for (auto it = lo; it != hi; ++it) {
      out.push_back(it->second);
      frontier.push_back(it->second);
    }
  }
  return out;
}

std::string process_start_time(pid_t pid) {
  ProcStat st;
  return read_stat(pid, &st) ? st.start_time : "";
}

bool process_alive(pid_t pid) {
  ProcStat st;
  return read_stat(pid, &st) && st.state != 'Z' && st.state != 'X';
}

void reap_adopted(const std::vector<pid_t>& pids) {
  for (pid_t pid : pids) {
    ProcStat st;
    if (read_stat(pid, &st) && st.ppid == getpid()) {
      int status = 0;
      waitpid(pid, &status, WNOHANG);
    }
  }
}

void become_subreaper() { prctl(PR_SET_CHILD_SUBREAPER, 1); }

std::string tail_file(const std::string& path, size_t max_lines) {
  if (path.empty()) return "";
  std::ifstream in(path);
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (lines.size() > max_lines) lines.pop_front();
  }
  std::string out;
  for (const auto& l : lines) out += "  " + l + "\n";
  return out;
}

}  // namespace replsim::harness
