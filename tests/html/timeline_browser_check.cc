#include "timeline_browser_check.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "headless_chromium.h"

namespace replsim::testing {
namespace {

// The checks of check_page_renders, in a void function so that ASSERT_* can end it early.
void render_and_check(const std::string& html, const std::string& name, int marks, bool keep_html, std::string* dom) {
  ASSERT_FALSE(chromium_path().empty())
      << "Chromium is not installed (looked for $REPLSIM_CHROMIUM, then /usr/bin/chromium): "
         "run scripts/setup-browser.sh to install Debian's chromium package";
  HeadlessChromium browser;
  ASSERT_FALSE(browser.dir().empty()) << "cannot make a temporary directory";
  const std::string page = browser.dir() + "/" + name + ".html", png = browser.dir() + "/" + name + ".png";
  {
    std::ofstream out(page, std::ios::binary);
    out << html;
  }
  const auto started = std::chrono::steady_clock::now();

  BrowserRun run = browser.render(page, png, 1400, 900);
  // A page renders in about a second; a run past the 30 s limit is Chromium hanging at start-up
  // (seen once in a full parallel test run, beside real clusters), not the page: one more try.
  if (run.started && run.timed_out) run = browser.render(page, png, 1400, 900);
  ASSERT_TRUE(run.started) << "cannot start " << chromium_path();
  ASSERT_FALSE(run.timed_out) << "chromium ran over its time; its log:\n" << run.err;
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::smatch body;
  ASSERT_TRUE(std::regex_search(run.out, body, std::regex("<body[^>]*>"))) << run.out.substr(0, 2000);
  EXPECT_NE(body.str().find(R"(data-rendered="ok")"), std::string::npos)
      << "the page's script did not finish: " << body.str();
  EXPECT_EQ(body.str().find("data-errors"), std::string::npos) << "script errors: " << body.str();
  EXPECT_NE(body.str().find("data-marks=\"" + std::to_string(marks) + "\""), std::string::npos) << body.str();
  EXPECT_EQ(run.err.find("Uncaught"), std::string::npos) << "console errors:\n" << run.err;
  *dom = run.out;

  ASSERT_TRUE(std::filesystem::exists(png)) << "no screenshot; chromium said:\n" << run.err;
  EXPECT_EQ(png_size(png), std::make_pair(1400, 900));
  // A blank 1400x900 PNG compresses to a few kB; the drawn page is far larger.
  EXPECT_GT(std::filesystem::file_size(png), 40000u);

  // Chromium's start is most of it: about 2 s on an idle machine, 10 s with both cores busy
  // building. The runner kills it at 30 s; a time assertion here would only be flaky.
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ::testing::Test::RecordProperty("browser_seconds_" + name, std::to_string(seconds));
  if (const char* keep = std::getenv("REPLSIM_SCREENSHOT_DIR"); keep != nullptr && *keep != '\0') {
    std::filesystem::copy_file(png, std::string(keep) + "/" + name + ".png",
                               std::filesystem::copy_options::overwrite_existing);
    if (keep_html) std::ofstream(std::string(keep) + "/" + name + ".html", std::ios::binary) << html;
  }
}

}  // namespace

std::string check_page_renders(const std::string& html, const std::string& name, int marks, bool keep_html) {
  std::string dom;
  render_and_check(html, name, marks, keep_html, &dom);
  return dom;
}

void check_page_in_browser(const std::string& html, const std::string& name, int marks) {
  const std::string dom = check_page_renders(html, name, marks, /*keep_html=*/true);
  // Charlie's mark, as the browser built the DOM: acknowledged, then lost, with its tooltip.
  const std::regex charlie(
      R"(<g class="tx tip(?: hl)?" data-run="\w+" data-label="charlie" data-fate="acknowledged-lost"[^>]*data-tip="charlie — acknowledged, then LOST)");
  EXPECT_TRUE(std::regex_search(dom, charlie)) << "no mark for charlie as acknowledged-and-lost in the DOM";
}

}  // namespace replsim::testing
