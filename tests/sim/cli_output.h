// What a run of the replsim binary printed, for the CLI tests that run it as a process.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace replsim::testing {

struct CliOutput {
  int exit_code = -1;
  std::string out, err;
};

// The whole file, bytes as they are ("" if it cannot be read).
inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace replsim::testing
