#include "cli/cli_conventions.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "cli/command.h"
#include "vocab/scenario_parser.h"

namespace replsim::cli {

CLI::Option* file_option(CLI::Option* opt) {
  opt->type_name("FILE");
  return opt->check(CLI::Validator([](const std::string& path) { return directory_error(path); }, ""));
}

CLI::Option* dir_option(CLI::Option* opt) { return opt->type_name("DIR"); }

namespace {

// Refuses a sign and canonicalises leading zeros (CLI11 converts with strtoull base 0, which
// wraps "-1" and reads "010" as octal).
std::string whole_number(std::string& text) {
  const size_t start = text.find_first_not_of(" \t");
  if (start != std::string::npos && (text[start] == '-' || text[start] == '+'))
    return fmt::format("{} is not a whole number from 0 to 18446744073709551615 (no sign)", text);
  const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  if (!hex && text.find_first_not_of("0123456789") == std::string::npos && text.size() > 1) {
    text.erase(0, std::min(text.find_first_not_of('0'), text.size() - 1));
  }
  return "";
}

}  // namespace

CLI::Option* whole_number_option(CLI::Option* opt) { return opt->transform(CLI::Validator(whole_number, "")); }

std::string directory_error(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec) ? path + ": is a directory" : "";
}

Result<Scenario> read_scenario_file(const std::string& path) {
  if (std::string error = directory_error(path); !error.empty()) return Status::InvalidInput(std::move(error));
  return parse_scenario_file(path);
}

void add_exit_codes(CLI::App* cmd, const ExitCodes& codes) {
  std::string text = "Exit codes:\n";
  const auto line = [&](int code, const std::string& meaning) {
    if (!meaning.empty()) text += fmt::format("  {:<5} {}\n", code, meaning);
  };
  line(kExitOk, codes.ok_text);
  line(kExitCheckFailed, codes.check_failed_text);
  line(kExitBadInput, codes.bad_input_text + " (nothing is run)");
  if (!codes.could_not_run_text.empty()) line(kExitCouldNotRun, "could not run: " + codes.could_not_run_text);
  line(kExitInternalError, "internal error: a bug in replsim");
  if (codes.interruptible_run) text += "  128+N interrupted by signal N (130 SIGINT, 143 SIGTERM), after cleaning up\n";
  cmd->footer(text);
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

namespace {

// The nearest name within two edits (and fewer edits than its length), or one it begins; "" if none.
std::string nearest(const std::string& word, const std::vector<std::string>& names) {
  std::string best;
  size_t best_distance = 3;
  for (const std::string& name : names) {
    const size_t d = edit_distance(word, name);
    if (d < best_distance && d < name.size()) {
      best = name;
      best_distance = d;
    }
  }
  if (best.empty() && word.size() >= 2) {
    for (const std::string& name : names)
      if (name.rfind(word, 0) == 0) return name;
  }
  return best;
}

std::string unknown_message(const std::string& where, const std::string& word, const std::vector<std::string>& names) {
  const std::string guess = nearest(word, names);
  if (!guess.empty()) return fmt::format("{}: unknown command '{}'; did you mean '{}'?\n", where, word, guess);
  return fmt::format("{}: unknown command '{}'; the commands are: {} ({} --help)\n", where, word,
                     fmt::join(names, ", "), where);
}

}  // namespace

std::string unknown_command_message(const CLI::App& app, int argc, const char* const* argv) {
  const CLI::App* at = &app;
  std::string where = "replsim";
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word.empty() || word[0] == '-') return "";
    std::vector<std::string> names;
    const CLI::App* next = nullptr;
    for (const CLI::App* sub : at->get_subcommands([](const CLI::App*) { return true; })) {
      names.push_back(sub->get_name());
      if (sub->check_name(word)) next = sub;
    }
    if (next != nullptr) {
      at = next;
      where += " " + word;
      continue;
    }
    const bool takes_words = !at->get_options([](const CLI::Option* o) { return o->get_positional(); }).empty();
    if (names.empty() || takes_words) return "";
    return unknown_message(where, word, names);
  }
  return "";
}

}  // namespace replsim::cli
