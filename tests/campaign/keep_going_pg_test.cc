// `replsim check --real --keep-going` (issue 15): every run is judged, the report is one JSON
// document with the agreement rate and the determinate share, and each disagreement is kept
// with its own file. Two short real runs; --shrink-budget 1 bounds a disagreement's cost.
#include <sys/wait.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace replsim {
namespace {

struct Ran {
  int exit_code = -1;
  std::string out;
};

Ran run_replsim(const std::filesystem::path& dir, const std::string& arguments) {
  const auto out = dir / "stdout.txt";
  const std::string command = "REPLSIM_HOME=" + (dir / "home").string() + " " + std::string(REPLSIM_BINARY) + " " +
                              arguments + " > " + out.string() + " 2> " + (dir / "stderr.txt").string();
  const int status = std::system(command.c_str());
  Ran r;
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  std::ifstream in(out, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  r.out = text.str();
  return r;
}

TEST(KeepGoingPgTest, RunsEveryRunAndReportsOneJsonDocument) {
  const auto dir = std::filesystem::temp_directory_path() / "replsim-keep-going-pg";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const Ran bad = run_replsim(dir, "check --keep-going --runs 2");
  EXPECT_EQ(bad.exit_code, 2) << "--keep-going goes with --real";

  const Ran r = run_replsim(dir,
                            "check --real --keep-going --json --runs 2 --seed 11 --max-steps 4 --shrink-budget 1 "
                            "--out " +
                                (dir / "out").string());
  const nlohmann::json doc = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << "stdout is one JSON document:\n" << r.out;
  EXPECT_EQ(doc["runs"], 2);
  const int64_t agreed = doc["agreed"], disagreed = doc["disagreed"], errors = doc["could_not_run"];
  EXPECT_EQ(agreed + disagreed + errors, 2);
  EXPECT_DOUBLE_EQ(doc["agreement_percent"].get<double>(), 50.0 * static_cast<double>(agreed));
  // Seed 11's first two runs (at most 4 intents) write transactions: presence is compared.
  EXPECT_GT(doc["presence"]["determinate"].get<int64_t>() + doc["presence"]["either"].get<int64_t>(), 0);
  ASSERT_EQ(doc["disagreements"].size(), static_cast<size_t>(disagreed));
  for (const auto& d : doc["disagreements"]) {
    EXPECT_TRUE(std::filesystem::exists(d["file"].get<std::string>())) << d.dump(2);
    EXPECT_FALSE(d["differences"].empty()) << d.dump(2);
  }
  EXPECT_EQ(doc["errors"].size(), static_cast<size_t>(errors));
  EXPECT_EQ(r.exit_code, agreed == 2 ? 0 : 1);
  EXPECT_EQ(doc["exit_code"], r.exit_code);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace replsim
