// Cross-layer includes do not compile. Each case compiles a one-line translation unit with the
// flags CMake uses for a real source file of one library (so with that library's include path and
// nothing else), including one header: a header of the library itself or of what it links must
// compile, any other layer's must fail with "No such file or directory" for that header. The
// allowed cases show that the failures come from the layering, not from a broken command.
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

namespace {

struct Case {
  const char* library_source;  // A source file of the library whose flags are used.
  const char* header;          // What the translation unit includes.
  bool allowed;
};

// Every library against the layers it must not see, and one header it must see.
constexpr Case kCases[] = {
    {"vocab/lsn.cc", "vocab/scenario.h", true},
    {"vocab/lsn.cc", "sim/wal/record.h", false},
    {"vocab/lsn.cc", "verifier/comparison.h", false},
    {"vocab/lsn.cc", "harness/cluster.h", false},
    {"sim/wal/record.cc", "vocab/lsn.h", true},
    {"sim/wal/record.cc", "sim/cluster.h", false},
    {"sim/wal/record.cc", "storage/segment_files.h", false},
    {"storage/segment_files.cc", "sim/wal/segment_store.h", true},
    {"storage/segment_files.cc", "sim/cluster.h", false},
    {"sim/cluster.cc", "sim/wal/replay_engine.h", true},
    {"sim/cluster.cc", "harness/cluster.h", false},
    {"sim/cluster.cc", "verifier/comparison.h", false},
    {"sim/cluster.cc", "storage/rocksdb_store.h", false},
    {"sim/cluster.cc", "sim/campaign/property.h", false},
    {"sim/cluster.cc", "cli/command.h", false},
    {"sim/campaign/property.cc", "sim/simulator.h", true},
    {"sim/campaign/property.cc", "harness/scenario_runner.h", false},
    {"harness/cluster.cc", "harness/scenario_runner.h", true},
    {"harness/cluster.cc", "sim/cluster.h", false},
    {"harness/cluster.cc", "verifier/comparison.h", false},
    {"verifier/comparison.cc", "vocab/run_result.h", true},
    {"verifier/comparison.cc", "sim/simulator.h", false},
    {"verifier/comparison.cc", "harness/cluster.h", false},
};

nlohmann::json compile_commands() {
  std::ifstream in(std::filesystem::path(REPLSIM_BINARY_DIR) / "compile_commands.json");
  EXPECT_TRUE(in) << "no compile_commands.json in " << REPLSIM_BINARY_DIR;
  return nlohmann::json::parse(in);
}

// The compile command of the entry for `source`, turned into a syntax check of `tu`.
std::string check_command(const nlohmann::json& db, const std::string& source, const std::string& tu) {
  for (const auto& entry : db) {
    const std::string file = entry.at("file");
    if (file.size() < source.size() + 1 || file.compare(file.size() - source.size(), source.size(), source) != 0 ||
        file[file.size() - source.size() - 1] != '/') {
      continue;
    }
    std::string cmd = entry.at("command");
    cmd = std::regex_replace(cmd, std::regex(R"( -o \S+)"), "");
    cmd = std::regex_replace(cmd, std::regex(R"( -c \S+)"), "");
    return "cd '" + std::string(entry.at("directory")) + "' && " + cmd + " -fsyntax-only -x c++ '" + tu + "' 2>&1";
  }
  ADD_FAILURE() << "no compile command for " << source;
  return {};
}

std::pair<int, std::string> run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return {-1, "popen failed"};
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  return {pclose(p), out};
}

TEST(LayerTest, EachLibrarySeesItsOwnAndItsDependenciesHeadersAndNoOtherLayers) {
  const nlohmann::json db = compile_commands();
  const auto dir = std::filesystem::temp_directory_path() / ("replsim-layers-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  int n = 0;
  for (const Case& c : kCases) {
    const auto tu = dir / ("case" + std::to_string(n++) + ".cc");
    std::ofstream(tu) << "#include \"" << c.header << "\"\n";
    const std::string cmd = check_command(db, c.library_source, tu.string());
    if (cmd.empty()) continue;
    const auto [status, output] = run(cmd);
    if (c.allowed) {
      EXPECT_EQ(status, 0) << c.library_source << "'s library must be able to include " << c.header << ":\n" << output;
    } else {
      EXPECT_NE(status, 0) << c.library_source << "'s library compiled an include of " << c.header;
      EXPECT_NE(output.find(std::string(c.header) + ": No such file or directory"), std::string::npos)
          << c.library_source << " including " << c.header << " failed, but not for the layering:\n"
          << output;
    }
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
