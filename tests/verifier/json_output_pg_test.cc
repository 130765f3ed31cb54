// Every --json output of the commands that run real PostgreSQL is one whole JSON document
// (issue 22): `verify --json` of several files, `runs --json` and `runs show --json` of what it
// recorded, and `calibrate --json`. Parsed with nlohmann::json::parse, which refuses trailing
// data. (compare --json: tests/compare; check --real --keep-going --json: tests/campaign.)
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace replsim {
namespace {

struct Output {
  int exit_code = -1;
  std::string out, err;
};

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class JsonOutputPgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("replsim-json-pg-" + std::to_string(getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Output replsim(const std::string& args) const {
    const auto out = dir_ / "stdout", err = dir_ / "stderr";
    const std::string command = std::string(REPLSIM_BINARY) + " " + args + " >" + out.string() + " 2>" + err.string();
    const int status = std::system(command.c_str());
    return Output{WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_all(out), read_all(err)};
  }

  static nlohmann::json parse_whole(const Output& r) {
    nlohmann::json doc;
    EXPECT_NO_THROW(doc = nlohmann::json::parse(r.out)) << r.out.substr(0, 2000) << r.err;
    return doc;
  }

  std::filesystem::path dir_;
};

std::string scenario(const char* name) {
  const char* source = std::getenv("REPLSIM_SOURCE_DIR");
  return std::string(source != nullptr ? source : ".") + "/scenarios/" + name;
}

TEST_F(JsonOutputPgTest, VerifyOfTwoFilesAndTheRunsItRecordedAreOneDocumentEach) {
  const std::string store = (dir_ / "runs").string();
  const Output verify = replsim("verify --json --store " + store + " " + scenario("drill-2.1-replication-lag.yaml") +
                                " " + scenario("drill-2.1-sync.yaml"));
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  const nlohmann::json report = parse_whole(verify);
  EXPECT_EQ(report["schema"], "replsim.verify_report/1");
  ASSERT_EQ(report["runs"].size(), 2u);
  EXPECT_EQ(report["passed"], true);

  const nlohmann::json listed = parse_whole(replsim("runs --json --store " + store));
  ASSERT_EQ(listed.size(), 2u);
  for (const auto& run : listed) {
    EXPECT_EQ(run["verdict"], "agree");
    EXPECT_EQ(run["result"], "pass");
  }
  const nlohmann::json shown = parse_whole(
      replsim("runs show " + listed[1]["id"].get<std::string>() + " --json --store " + store));
  EXPECT_EQ(shown["scenario"], report["runs"][1]["verification"]["scenario"]) << shown["scenario"];
}

TEST_F(JsonOutputPgTest, CalibrateJsonIsOneDocument) {
  const Output r = replsim("calibrate --samples 1 --json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json profile = parse_whole(r);
  EXPECT_EQ(profile["format"], "replsim-timing-profile");
}

}  // namespace
}  // namespace replsim
