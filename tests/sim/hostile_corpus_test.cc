// The hostile-input corpus (tests/vocab/hostile/, docs/testing.md): every file goes through the
// real `replsim run`, plain and with --json. Each file states on a line of its own
//   # expect: CODE "FRAGMENT"
// the exit code and a fragment of the message (stderr for exit 2, the report for 0 and 1). On
// top of that every run must: exit normally within its time (no crash, no hang, never 4, the
// internal error), give bad input as one "file:line:column: message" line, print nothing on
// stdout with --json unless it is one whole JSON document, and print no raw control character.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cli_output.h"

namespace {

namespace fs = std::filesystem;

using Outcome = replsim::testing::CliOutput;
using replsim::testing::slurp;

// `replsim run [--json] FILE`, killed after 60 s (a hang fails the exit code check).
Outcome run_replsim(const std::string& file, bool json) {
  static int calls = 0;
  const fs::path dir = fs::temp_directory_path();
  const std::string stem = "replsim_hostile." + std::to_string(getpid()) + "." + std::to_string(calls++);
  const fs::path out = dir / (stem + ".out"), err = dir / (stem + ".err");
  const std::string command = "timeout -s KILL 60 " + std::string(REPLSIM_BINARY) + " run " + (json ? "--json " : "") +
                              "'" + file + "' >" + out.string() + " 2>" + err.string();
  const int status = std::system(command.c_str());
  Outcome o{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
  fs::remove(out);
  fs::remove(err);
  return o;
}

struct Expected {
  int exit_code = -1;
  std::string fragment;
};

// The file's `# expect: CODE "FRAGMENT"` line (the fragment runs to the last quote on the line).
std::optional<Expected> expectation_of(std::string text) {
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);  // A byte order mark before the line.
  static const std::regex line(R"((^|[\r\n])# expect: (\d+) "([^\r\n]*)\"[ \t]*(\r\n|[\r\n]|$))");
  std::smatch m;
  if (!std::regex_search(text, m, line)) return std::nullopt;
  return Expected{std::stoi(m[2].str()), m[3].str()};
}

// The first raw control character in `text` (C0 but newline, DEL, or a UTF-8 encoded C1), if any.
std::optional<size_t> raw_control(const std::string& text) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\n') || c == 0x7f) return i;
    if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(text[i + 1]) <= 0x9f)
      return i;
  }
  return std::nullopt;
}

// Runs `file` both ways and checks everything the header comment promises. `positioned`: bad
// input must be reported at a line and column of the file.
void check_file(const std::string& file, const Expected& want, bool positioned) {
  SCOPED_TRACE(file);
  const Outcome plain = run_replsim(file, false);
  EXPECT_EQ(plain.exit_code, want.exit_code) << "stdout:\n" << plain.out.substr(0, 2000) << "\nstderr:\n" << plain.err;
  const std::string& said = want.exit_code == 2 ? plain.err : plain.out;
  EXPECT_NE(said.find(want.fragment), std::string::npos) << "expected '" << want.fragment << "' in:\n" << said;
  if (want.exit_code == 2) {
    EXPECT_TRUE(plain.out.empty()) << plain.out;
    const std::string where = positioned ? R"(:[1-9][0-9]*:[1-9][0-9]*: [^\n]+\n)" : R"(: [^\n]+\n)";
    const std::regex one_line(std::regex_replace(file, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") + where);
    EXPECT_TRUE(std::regex_match(plain.err, one_line)) << "not one 'file:line:column: message' line:\n" << plain.err;
  }
  for (const std::string* text : {&plain.out, &plain.err})
    if (auto at = raw_control(*text)) ADD_FAILURE() << "raw control character at byte " << *at << ":\n" << *text;

  const Outcome json = run_replsim(file, true);
  EXPECT_EQ(json.exit_code, want.exit_code) << json.err;
  if (want.exit_code == 2) {
    EXPECT_TRUE(json.out.empty()) << "half a document on stdout:\n" << json.out.substr(0, 2000);
  } else {
    EXPECT_TRUE(nlohmann::json::accept(json.out)) << "not one whole JSON document:\n" << json.out.substr(0, 2000);
  }
  if (auto at = raw_control(json.err)) ADD_FAILURE() << "raw control character at byte " << *at << ":\n" << json.err;
}

fs::path corpus_dir() { return fs::path(REPLSIM_HOSTILE_DIR); }

TEST(HostileCorpusTest, EveryFileEndsAsItsHeaderSays) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(corpus_dir()))
    if (entry.is_regular_file()) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  EXPECT_GE(files.size(), 150u);
  int valid = 0;
  for (const auto& path : files) {
    const auto want = expectation_of(slurp(path));
    if (!want) {
      ADD_FAILURE() << path << " has no '# expect: CODE \"FRAGMENT\"' line";
      continue;
    }
    if (want->exit_code == 0) ++valid;
    check_file(path.string(), *want, true);
  }
  EXPECT_GE(valid, 20) << "the corpus keeps valid-but-hostile files too";
}

// Files too large or too strange to commit, made here.
class GeneratedInputTest : public ::testing::Test {
 protected:
  void TearDown() override { fs::remove(path_); }
  std::string write(const std::string& text) {
    std::ofstream(path_, std::ios::binary) << text;
    return path_.string();
  }
  fs::path path_ = fs::temp_directory_path() / ("replsim_hostile_gen." + std::to_string(getpid()) + ".yaml");
};

const std::string kValid =
    "name: hostile\ncluster:\n  primary: p\n  standbys: [r]\nsteps:\n  - insert: a\n    table: customers\n"
    "    values: {firstName: A, lastName: B, email: e}\nexpect:\n  - acknowledged: a\n";

TEST_F(GeneratedInputTest, EmptyFileIsBadInputAtItsStart) { check_file(write(""), {2, "expected a scenario"}, true); }

TEST_F(GeneratedInputTest, FileOfExactlyTheLimitIsRead) {
  std::string text = kValid;
  while (text.size() + 80 <= (1u << 20)) text += "#" + std::string(78, 'x') + "\n";
  text += "#" + std::string((1u << 20) - text.size() - 2, 'y') + "\n";
  ASSERT_EQ(text.size(), 1u << 20);
  check_file(write(text), {0, "1 of 1 expectations held"}, true);
}

TEST_F(GeneratedInputTest, FileOverTheLimitIsRefusedWithoutParsing) {
  std::string text = kValid;
  text.resize((1u << 20) + 1, '#');
  check_file(write(text), {2, "larger than 1048576 bytes"}, false);
}

TEST_F(GeneratedInputTest, EndlessDeviceIsRefusedAfterTheLimit) {
  check_file("/dev/zero", {2, "larger than 1048576 bytes"}, false);
}

TEST_F(GeneratedInputTest, MissingFileAndDirectoryCannotBeRead) {
  check_file((fs::temp_directory_path() / "replsim_hostile_no_such_file.yaml").string(), {2, "cannot read"}, false);
  // A directory is named as one (issue 22), not just unreadable.
  check_file(fs::temp_directory_path().string(), {2, ": is a directory"}, false);
}

TEST_F(GeneratedInputTest, ThousandsOfStepsOnOneNodeAreRead) {
  std::string text = "name: hostile\ncluster:\n  primary: p\n  standbys: [r]\nsteps:\n";
  for (int i = 0; i < 2000; ++i) text += "  - partition: r\n  - heal: r\n";
  check_file(write(text), {0, "0 of 0 expectations held"}, true);
}

}  // namespace
