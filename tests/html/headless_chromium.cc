#include "headless_chromium.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace replsim::testing {
namespace {

constexpr auto kTimeout = std::chrono::seconds(30);

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::string chromium_path() {
  const char* env = std::getenv("REPLSIM_CHROMIUM");
  std::string path = env != nullptr && *env != '\0' ? env : "/usr/bin/chromium";
  return ::access(path.c_str(), X_OK) == 0 ? path : "";
}

HeadlessChromium::HeadlessChromium() {
  std::string templ = (std::filesystem::temp_directory_path() / "replsim-chromium-XXXXXX").string();
  if (::mkdtemp(templ.data()) != nullptr) dir_ = templ;
}

HeadlessChromium::~HeadlessChromium() {
  std::error_code ignored;
  if (!dir_.empty() && std::getenv("REPLSIM_KEEP_BROWSER_DIR") == nullptr) std::filesystem::remove_all(dir_, ignored);
}

BrowserRun HeadlessChromium::render(const std::string& html_path, const std::string& png_path, int width, int height) {
  BrowserRun result;
  const std::string browser = chromium_path();
  if (browser.empty() || dir_.empty()) return result;
  const int n = ++runs_;
  const std::string out_path = dir_ + "/out-" + std::to_string(n), err_path = dir_ + "/err-" + std::to_string(n);
  // The flags the machine documents for headless Chromium as root on a closed network.
  std::vector<std::string> args = {browser,
                                   "--headless",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--disable-quic",
                                   "--no-first-run",
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--disable-sync",
                                   "--disable-extensions",
                                   "--disable-dev-shm-usage",
                                   "--no-default-browser-check",
                                   "--enable-logging=stderr",
                                   "--v=0",
                                   "--user-data-dir=" + dir_ + "/profile-" + std::to_string(n)};
  // One start does both: starting Chromium is most of the cost.
  args.insert(args.end(), {"--dump-dom", "--screenshot=" + png_path, "--hide-scrollbars",
                           "--window-size=" + std::to_string(width) + "," + std::to_string(height)});
  args.push_back("file://" + std::filesystem::absolute(html_path).string());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);  // Its own group: a timeout kills its helpers too.
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return result;
  result.started = true;

  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      result.timed_out = true;
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ::kill(-pid, SIGKILL);  // Helpers the browser left behind, if any; its group is its own.
  if (!result.timed_out && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  result.out = read_all(out_path);
  result.err = read_all(err_path);
  return result;
}

std::pair<int, int> png_size(const std::string& path) {
  const std::string data = read_all(path);
  static const std::string kSignature = "\x89PNG\r\n\x1a\n";
  if (data.size() < 24 || data.compare(0, 8, kSignature) != 0 || data.compare(12, 4, "IHDR") != 0) return {0, 0};
  auto be32 = [&](size_t at) {
    return static_cast<int>((static_cast<uint32_t>(static_cast<unsigned char>(data[at])) << 24) |
                            (static_cast<uint32_t>(static_cast<unsigned char>(data[at + 1])) << 16) |
                            (static_cast<uint32_t>(static_cast<unsigned char>(data[at + 2])) << 8) |
                            static_cast<uint32_t>(static_cast<unsigned char>(data[at + 3])));
  };
  return {be32(16), be32(20)};
}

}  // namespace replsim::testing
