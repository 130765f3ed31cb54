// Runs Debian's Chromium headless on a local file, once: the DOM after the page's scripts
// ran (stdout) and a screenshot of the window. Started with an argv vector (posix_spawn, no shell) in its own process group,
// with a fresh profile directory, and killed with its children if it overruns its time.
#pragma once

#include <string>
#include <vector>

namespace replsim::testing {

struct BrowserRun {
  bool started = false;
  bool timed_out = false;
  int exit_code = -1;
  std::string out;  // stdout: the DOM (--dump-dom).
  std::string err;  // stderr: Chromium's log, console messages included.
};

// The browser to use: $REPLSIM_CHROMIUM, else /usr/bin/chromium; "" when neither exists.
std::string chromium_path();

class HeadlessChromium {
 public:
  // Makes a temporary working directory (profile, logs); removed by the destructor.
  HeadlessChromium();
  ~HeadlessChromium();
  HeadlessChromium(const HeadlessChromium&) = delete;
  HeadlessChromium& operator=(const HeadlessChromium&) = delete;

  const std::string& dir() const { return dir_; }
  // Loads `html_path`, dumps its DOM and writes a width x height screenshot to `png_path`.
  BrowserRun render(const std::string& html_path, const std::string& png_path, int width, int height);

 private:
  std::string dir_;
  int runs_ = 0;
};

// Width and height from a PNG's IHDR chunk; {0, 0} if the file is not a PNG.
std::pair<int, int> png_size(const std::string& path);

}  // namespace replsim::testing
