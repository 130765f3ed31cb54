// libFuzzer target: any bytes, read as a scenario file, must give a Scenario or a one-line
// "fuzz.yaml:line:column: message" refusal, and never a crash, an exception, a hang or an
// undefined behaviour (it is built with ASan and UBSan). Seeded from tests/vocab/hostile/.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "vocab/scenario_parser.h"

using namespace replsim;

namespace {

[[noreturn]] void broken(const std::string& what, const std::string& message) {
  std::fprintf(stderr, "scenario_parser_fuzz: %s: %s\n", what.c_str(), message.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (static_cast<int64_t>(size) > kMaxScenarioBytes) return 0;  // parse_scenario_file refuses these unread.
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string file = "fuzz.yaml";
  auto scenario = parse_scenario_text(text, file);
  if (!scenario.ok()) {
    const std::string& message = scenario.status().message();
    // Bad input names the file, and its message is one line.
    if (message.rfind(file + ":", 0) != 0) broken("a refusal that does not name the file", message);
    if (message.find('\n') != std::string::npos) broken("a refusal of more than one line", message);
    return 0;
  }
  // What was accepted is complete: a name, a primary, and every step described.
  if (scenario->name.empty()) broken("accepted without a name", text);
  if (scenario->cluster.nodes.empty()) broken("accepted without a primary", text);
  for (const auto& step : scenario->steps)
    if (describe_step(step).empty()) broken("a step with no description", text);
  return 0;
}
