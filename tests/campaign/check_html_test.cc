// `replsim check --html FILE` (issue 8): the counterexample of a false promise gets its timeline
// page — the shrunk scenario as the simulator runs it with the run's seed — and the page is one
// self-contained HTML file that shows the transaction the failover lost.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace replsim {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Check {
  int exit_code = -1;
  std::string stdout_text;
};

Check run_check(const std::filesystem::path& dir, const std::string& arguments) {
  const auto out = dir / "stdout.txt";
  const std::string command = "REPLSIM_HOME=" + (dir / "home").string() + " " + std::string(REPLSIM_BINARY) +
                              " check " + arguments + " > " + out.string() + " 2> " + (dir / "stderr.txt").string();
  const int status = std::system(command.c_str());
  Check c;
  if (WIFEXITED(status)) c.exit_code = WEXITSTATUS(status);
  c.stdout_text = read_file(out);
  return c;
}

class CheckHtmlTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("replsim-check-html-" + std::string(testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(CheckHtmlTest, AsyncFailoverCounterexamplePageShowsTheLostTransaction) {
  const auto page = dir_ / "async.html";
  const Check c = run_check(dir_, "--property async-failover-loses-nothing --runs 200 --seed 1 --jobs 2 --out " +
                                      (dir_ / "out").string() + " --html " + page.string());
  ASSERT_EQ(c.exit_code, 0) << c.stdout_text << read_file(dir_ / "stderr.txt");  // Refuted: the teaching result.
  EXPECT_NE(c.stdout_text.find("timeline page: " + page.string()), std::string::npos) << c.stdout_text;
  ASSERT_TRUE(std::filesystem::exists(page));
  const std::string html = read_file(page);
  // One self-contained page: a complete document with nothing loaded from elsewhere.
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("</html>"), std::string::npos);
  for (const char* external : {"src=\"http", "href=\"http", "<script src", "<link ", "@import", "url(http"})
    EXPECT_EQ(html.find(external), std::string::npos) << external;
  // It names the broken promise and the lost transaction: t1, acknowledged and then lost.
  EXPECT_NE(html.find("async-failover-loses-nothing"), std::string::npos);
  EXPECT_NE(html.find("data-label=\"t1\" data-fate=\"acknowledged-lost\""), std::string::npos);
  EXPECT_NE(html.find("t1 was acknowledged by primary"), std::string::npos);
  // The page shows the written scenario file, which the reader can replay.
  const auto yaml = dir_ / "out" / "async-failover-loses-nothing-seed-1.yaml";
  ASSERT_TRUE(std::filesystem::exists(yaml));
  EXPECT_NE(html.find(yaml.string()), std::string::npos);
}

TEST_F(CheckHtmlTest, SeveralPropertiesGetOnePageEachAndAHeldGuaranteeNone) {
  const auto base = dir_ / "check.html";
  const Check c = run_check(dir_,
                            "--property async-failover-loses-nothing --property cancelled-sync-commit-invisible "
                            "--property standby-is-prefix --runs 200 --seed 1 --jobs 2 --out " +
                                (dir_ / "out").string() + " --html " + base.string());
  ASSERT_EQ(c.exit_code, 0) << c.stdout_text;
  EXPECT_FALSE(std::filesystem::exists(base));
  const auto async = dir_ / "check-counterexample-async-failover-loses-nothing.html";
  const auto cancel = dir_ / "check-counterexample-cancelled-sync-commit-invisible.html";
  ASSERT_TRUE(std::filesystem::exists(async));
  ASSERT_TRUE(std::filesystem::exists(cancel));
  EXPECT_NE(read_file(cancel).find("data-fate=\"cancelled\""), std::string::npos);
  size_t pages = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) pages += entry.path().extension() == ".html";
  EXPECT_EQ(pages, 2u);  // standby-is-prefix held: no counterexample, no page.
}

TEST_F(CheckHtmlTest, UnwritablePageIsBadInput) {
  const Check c = run_check(dir_, "--property async-failover-loses-nothing --runs 200 --seed 1 --jobs 1 --out " +
                                      (dir_ / "out").string() + " --html " +
                                      (dir_ / "no" / "such" / "dir.html").string());
  EXPECT_EQ(c.exit_code, 2);
}

}  // namespace
}  // namespace replsim
