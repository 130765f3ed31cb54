// `replsim verify FILE... --html DIR/` on real PostgreSQL: one timeline page per scenario (its
// predicted and observed runs, both with their lag and throughput plots) and DIR/index.html
// linking each page with its verdict. The index's rendering in Chromium is checked on `run`
// pages (tests/html/plots_browser_test.cc); here the pages are the ones a real run gives.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

namespace replsim {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(VerifyHtmlDirPgTest, WritesAPagePerScenarioAndAnIndexWithTheirVerdicts) {
  const char* src = std::getenv("REPLSIM_SOURCE_DIR");
  const std::string source = src != nullptr ? src : ".";
  const std::string dir = (std::filesystem::temp_directory_path() / "replsim-verify-html-dir").string();
  std::filesystem::remove_all(dir);
  const std::string cmd = std::string("'") + REPLSIM_BINARY + "' verify '" + source +
                          "/scenarios/drill-2.1-replication-lag.yaml' '" + source +
                          "/scenarios/drill-2.1-sync.yaml' --no-store --html '" + dir + "/pages/' > '" + dir +
                          ".out' 2>&1";
  const int rc = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(rc)) << cmd;
  EXPECT_EQ(WEXITSTATUS(rc), 0) << read_file(dir + ".out");
  const std::string index = read_file(dir + "/pages/index.html");
  ASSERT_FALSE(index.empty()) << read_file(dir + ".out");
  EXPECT_NE(index.find("<b>2 of 2</b> passed"), std::string::npos) << index;
  const std::regex row(R"re(<a href="([^"]+)">([^<]+)</a></td><td><code>[^<]*</code></td><td class="verdict">(\w+))re");
  size_t rows = 0;
  for (auto it = std::sregex_iterator(index.begin(), index.end(), row); it != std::sregex_iterator(); ++it, ++rows) {
    SCOPED_TRACE((*it)[1].str());
    EXPECT_EQ((*it)[3].str(), "agree");
    const std::string page = read_file(dir + "/pages/" + (*it)[1].str());
    ASSERT_FALSE(page.empty());
    EXPECT_NE(page.find("<title>replsim timeline: " + (*it)[2].str() + "</title>"), std::string::npos);
    for (const char* plot : {"lag-predicted", "lag-observed", "throughput-predicted", "throughput-observed"})
      EXPECT_NE(page.find(std::string("data-plot=\"") + plot + "\""), std::string::npos) << plot;
  }
  EXPECT_EQ(rows, 2u) << index;
  std::filesystem::remove_all(dir);
  std::filesystem::remove(dir + ".out");
}

}  // namespace
}  // namespace replsim
