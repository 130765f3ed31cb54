// The style guide, executable (the way TigerBeetle's tidy.zig checks its own): rules a compiler
// does not check, read from the source tree. Each rule names what to use instead.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const fs::path kRoot = REPLSIM_TEST_SOURCE_DIR;

// Every file of the repository that holds text we write (not build trees, not git's).
std::vector<fs::path> repository_files() {
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(kRoot); it != fs::recursive_directory_iterator(); ++it) {
    const std::string name = it->path().filename().string();
    if (it->is_directory() && (name == ".git" || name.rfind("build", 0) == 0)) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file()) files.push_back(it->path());
  }
  return files;
}

bool is_source(const fs::path& p) {
  const std::string e = p.extension().string();
  return e == ".h" || e == ".cc" || e == ".c";
}

std::string repo_path(const fs::path& p) { return fs::relative(p, kRoot).generic_string(); }

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Calls `fn(line_number, line)` for each line of `text`.
template <typename Fn>
void for_each_line(const std::string& text, Fn fn) {
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) fn(n, line);
}

bool under(const std::string& rel, const std::string& folder) { return rel.rfind(folder, 0) == 0; }

// The layer a library source belongs to, and the folders whose headers it may include: the
// same rule the build enforces (cmake/ReplsimLayers.cmake), checked here on the text too so that
// a mistake in the build's wiring cannot hide a crossing.
struct Layer {
  const char* folder;
  std::vector<std::string> may_include;
};
const std::vector<Layer> kLayers = {
    // Most specific first: sim/wal/ and sim/campaign/ are layers inside sim/.
    {"sim/wal/", {"vocab/", "sim/wal/"}},
    {"sim/campaign/", {"vocab/", "sim/wal/", "sim/campaign/", "sim/"}},
    {"sim/", {"vocab/", "sim/wal/", "sim/"}},
    {"vocab/", {"vocab/"}},
    {"storage/", {"vocab/", "sim/wal/", "storage/"}},
    {"harness/", {"vocab/", "harness/", "harness/disk_gate/"}},
    {"verifier/", {"vocab/", "verifier/"}},
};

bool allowed_include(const std::vector<std::string>& may, const std::string& header) {
  for (const auto& folder : may) {
    // "sim/" allows sim/*.h only; its sublayers are listed on their own.
    if (under(header, folder) && header.find('/', folder.size()) == std::string::npos) return true;
  }
  return false;
}

TEST(TidyTest, LibrariesIncludeOnlyTheirOwnLayerAndTheLayersBelow) {
  const std::regex include(R"re(^\s*#\s*include\s+"([^"]+)")re");
  for (const auto& path : repository_files()) {
    if (!is_source(path)) continue;
    const std::string rel = repo_path(path);
    const Layer* layer = nullptr;
    for (const auto& l : kLayers) {
      if (under(rel, l.folder)) {
        layer = &l;
        break;
      }
    }
    if (layer == nullptr || under(rel, "harness/disk_gate/")) continue;  // cli/, tests/, bench/: anything.
    for_each_line(read(path), [&](int n, const std::string& line) {
      std::smatch m;
      if (!std::regex_search(line, m, include)) return;
      EXPECT_TRUE(allowed_include(layer->may_include, m[1].str()))
          << rel << ":" << n << ": includes \"" << m[1] << "\", outside " << layer->folder << "'s layers";
    });
  }
}

TEST(TidyTest, IncludesAreWrittenFromTheRepositoryRoot) {
  const std::regex include(R"re(^\s*#\s*include\s+"([^"]+)")re");
  for (const auto& path : repository_files()) {
    if (!is_source(path)) continue;
    const std::string rel = repo_path(path);
    for_each_line(read(path), [&](int n, const std::string& line) {
      std::smatch m;
      if (!std::regex_search(line, m, include)) return;
      const std::string h = m[1];
      EXPECT_EQ(h.find(".."), std::string::npos) << rel << ":" << n << ": a relative include (\"" << h << "\")";
      const bool library = under(rel, "vocab/") || under(rel, "sim/") || under(rel, "storage/") ||
                           under(rel, "harness/") || under(rel, "verifier/") || under(rel, "cli/");
      if (library && !under(rel, "harness/disk_gate/")) {
        EXPECT_TRUE(fs::exists(kRoot / h))
            << rel << ":" << n << ": \"" << h << "\" is not a path from the repository root";
      }
    });
  }
}

// The simulator is a pure function of (scenario, seed, timing profile): no wall clock, no
// randomness but sim::Prng, no threads, no environment (docs/architecture.md).
TEST(TidyTest, SimulatorUsesNoWallClockThreadsOrForeignRandomness) {
  struct Banned {
    std::regex pattern;
    const char* instead;
  };
  const std::vector<Banned> banned = {
      {std::regex(R"(#\s*include\s*<(random|thread|mutex|condition_variable|future|ctime)>)"),
       "sim::Prng for randomness; World for time; no threads"},
      {std::regex(R"(\b(system_clock|steady_clock|high_resolution_clock)\b)"), "World::now()"},
      {std::regex(R"(\bstd::(thread|jthread|async|mt19937|random_device|uniform_int_distribution)\b)"),
       "sim::Prng, and no threads"},
      {std::regex(R"(\b(s?rand|random|time|gettimeofday|clock_gettime|getenv|sleep|usleep)\s*\()"),
       "World and sim::Prng; options come in through the scenario"},
  };
  for (const auto& path : repository_files()) {
    const std::string rel = repo_path(path);
    if (!is_source(path) || !under(rel, "sim/")) continue;
    for_each_line(read(path), [&](int n, const std::string& line) {
      const std::string code = line.substr(0, line.find("//"));
      for (const auto& b : banned) {
        EXPECT_FALSE(std::regex_search(code, b.pattern))
            << rel << ":" << n << ": banned in sim/ (use " << b.instead << "): " << line;
      }
    });
  }
}

// Programmer errors are REPLSIM_ASSERT, on in every build; plain assert() vanishes under NDEBUG
// (the default RelWithDebInfo build), and a thrown logic_error is an error path nobody handles.
TEST(TidyTest, ProgrammerErrorsAreAssertionsThatStayOn) {
  const std::regex plain_assert(R"((^|[^_A-Z])assert\s*\()");
  const std::regex logic_error(R"(\bthrow\s+std::(logic_error|invalid_argument|out_of_range)\b)");
  for (const auto& path : repository_files()) {
    const std::string rel = repo_path(path);
    if (!is_source(path) || under(rel, "tests/") || under(rel, "bench/") || under(rel, "harness/disk_gate/")) continue;
    for_each_line(read(path), [&](int n, const std::string& line) {
      const std::string code = line.substr(0, line.find("//"));
      EXPECT_FALSE(std::regex_search(code, plain_assert))
          << rel << ":" << n << ": assert() is off under NDEBUG; use REPLSIM_ASSERT";
      EXPECT_FALSE(std::regex_search(code, logic_error))
          << rel << ":" << n << ": a programmer error is a REPLSIM_ASSERT";
    });
  }
}

// The repository stands alone: nothing points at files a user of it does not have.
TEST(TidyTest, NothingRefersToFilesOutsideTheRepository) {
  const std::string outside = std::string("..") + "/shared";  // Split so this file does not match itself.
  const std::vector<std::string> names = {std::string("seed-") + "drills", std::string("pg-") + "facts",
                                          std::string("patroni-") + "facts"};
  for (const auto& path : repository_files()) {
    const std::string rel = repo_path(path);
    const std::string ext = path.extension().string();
    if (!(is_source(path) || ext == ".md" || ext == ".txt" || ext == ".yaml" || ext == ".sh" || ext == ".cmake" ||
          path.filename() == "Makefile")) {
      continue;
    }
    for_each_line(read(path), [&](int n, const std::string& line) {
      EXPECT_EQ(line.find(outside), std::string::npos)
          << rel << ":" << n << ": refers outside the repository: " << line;
      for (const auto& name : names) {
        EXPECT_EQ(line.find(name), std::string::npos)
            << rel << ":" << n << ": refers to " << name
            << ", which is not in the repository (docs/postgresql-notes.md): " << line;
      }
    });
  }
}

// The source with comments, string and character literals blanked out (newlines kept), so that
// a brace or a word in them is not read as code.
std::string code_only(const std::string& text) {
  std::string out = text;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out.compare(i, 2, "//") == 0) {
      while (i < out.size() && out[i] != '\n') out[i++] = ' ';
    } else if (out.compare(i, 2, "/*") == 0) {
      for (; i < out.size() && out.compare(i, 2, "*/") != 0; ++i)
        if (out[i] != '\n') out[i] = ' ';
      if (i < out.size()) out[i] = out[i + 1] = ' ';
    } else if (out[i] == '"' || out[i] == '\'') {
      const char quote = out[i];
      for (++i; i < out.size() && out[i] != quote; ++i) {
        if (out[i] == '\\') out[i++] = ' ';
        if (i < out.size() && out[i] != '\n') out[i] = ' ';
      }
    }
  }
  return out;
}

// The folders whose switches over a StepKind are checked: all of the project's code.
const std::vector<std::string> kStepKindSwitchFolders = {"vocab/", "sim/",     "verifier/", "harness/",
                                                         "cli/",   "storage/", "tests/",    "bench/"};

// No `default:` in a switch over a step's kind: adding a StepKind must stop the build at every
// switch that does not handle it (-Wswitch -Werror), not slip through a catch-all. A switch is over
// a StepKind when its own cases name StepKind values; code with a Step at hand uses visit_step
// (vocab/step_visitor.h) instead.
TEST(TidyTest, NoDefaultInASwitchOverAStepKind) {
  const std::regex switch_word(R"(\bswitch\s*\()");
  for (const auto& path : repository_files()) {
    const std::string rel = repo_path(path);
    if (!is_source(path)) continue;
    const bool checked = std::any_of(kStepKindSwitchFolders.begin(), kStepKindSwitchFolders.end(),
                                     [&](const std::string& f) { return under(rel, f); });
    if (!checked) continue;
    const std::string code = code_only(read(path));
    for (auto m = std::sregex_iterator(code.begin(), code.end(), switch_word); m != std::sregex_iterator(); ++m) {
      const size_t open = code.find('{', static_cast<size_t>(m->position()));
      if (open == std::string::npos) continue;
      // The labels at the switch's own depth (1): nested switches and blocks are deeper.
      bool over_step_kind = false;
      size_t default_at = std::string::npos;
      int depth = 0;
      for (size_t i = open; i < code.size(); ++i) {
        if (code[i] == '{') ++depth;
        if (code[i] == '}' && --depth == 0) break;
        if (depth != 1) continue;
        if (code.compare(i, 15, "case StepKind::") == 0) over_step_kind = true;
        if (code.compare(i, 7, "default") == 0 && (i == 0 || !std::isalnum(static_cast<unsigned char>(code[i - 1])))) {
          const size_t colon = code.find_first_not_of(" \t\n", i + 7);
          if (colon != std::string::npos && code[colon] == ':' && default_at == std::string::npos) default_at = i;
        }
      }
      if (!over_step_kind || default_at == std::string::npos) continue;
      const int line = 1 + static_cast<int>(
                               std::count(code.begin(), code.begin() + static_cast<std::ptrdiff_t>(default_at), '\n'));
      ADD_FAILURE() << rel << ":" << line << ": default: in a switch over a StepKind; handle every kind (visit_step, "
                    << "vocab/step_visitor.h, when a Step is at hand)";
    }
  }
}

// Functions stay short (the team's rule is about 70 lines; .clang-tidy's readability-function-size
// says 80, and so does this): a definition is a line that opens a brace after a parameter list
// and is not a control statement, a lambda or an initialiser; its length runs to the matching
// closing brace. Comments and strings are blanked first (code_only), so braces in them do not count.
TEST(TidyTest, FunctionsAreAtMostEightyLines) {
  constexpr int kMaxLines = 80;
  const std::regex definition(R"(^\s*[A-Za-z_][\w:<>,&*~ ]*\([^;]*\)[\w\s&]*(->[^{;]*)?\{\s*$)");
  const std::regex not_a_function(R"(^\s*(if|for|while|switch|else|do|catch|return|case)\b|\]\s*\(|=)");
  for (const auto& path : repository_files()) {
    const std::string rel = repo_path(path);
    if (!is_source(path) || under(rel, "tests/") || under(rel, "bench/")) continue;
    const std::string code = code_only(read(path));
    std::vector<std::string> lines;
    for_each_line(code, [&](int, const std::string& line) { lines.push_back(line); });
    for (size_t i = 0; i < lines.size(); ++i) {
      if (!std::regex_search(lines[i], definition) || std::regex_search(lines[i], not_a_function)) continue;
      int depth = 0;
      size_t end = i;
      for (size_t j = i; j < lines.size(); ++j) {
        for (char c : lines[j]) depth += c == '{' ? 1 : c == '}' ? -1 : 0;
        if (depth <= 0) {
          end = j;
          break;
        }
      }
      EXPECT_LE(static_cast<int>(end - i + 1), kMaxLines)
          << rel << ":" << i + 1 << ": a function of " << end - i + 1 << " lines; split it into named steps";
    }
  }
}

// docs/model.md: every rule the model follows names the PostgreSQL 15 source it follows, as
// (`src/...`, `Function`) from the root of the PostgreSQL tree, and every section names a manual
// section (its heading, or one of its rules, holds a number such as 27.2.8). A rule is a bullet
// ("- " and its indented continuation lines), a paragraph, or a table's data row. The intro and
// the sections about the simulator's own machinery, what is not modelled and the audit's list of
// differences are not rules about PostgreSQL.
struct ModelRule {
  int line = 0;
  std::string text;
  bool table_header = false;  // A table's first row, which its separator row follows: no rule.
};
struct ModelSection {
  int line = 0;
  std::string title;
  std::vector<ModelRule> rules;
};

std::vector<ModelSection> model_sections(const std::string& text) {
  std::vector<ModelSection> sections(1);  // The intro, before the first "## ".
  bool in_rule = false;
  bool in_code = false;  // A fenced code block is part of the rule before it.
  for_each_line(text, [&](int n, const std::string& line) {
    auto& rules = sections.back().rules;
    if (line.rfind("```", 0) == 0) in_code = !in_code;
    if (in_code || line.rfind("```", 0) == 0) {
      if (in_rule) rules.back().text += "\n" + line;
    } else if (line.rfind("## ", 0) == 0) {
      sections.push_back({n, line.substr(3), {}});
      in_rule = false;
    } else if (line.rfind("|---", 0) == 0) {
      if (!rules.empty() && rules.back().text.rfind("|", 0) == 0) rules.back().table_header = true;
      in_rule = false;
    } else if (line.find_first_not_of(" \t") == std::string::npos || line.rfind("#", 0) == 0) {
      in_rule = false;  // A blank line ends a rule; a subsection's heading ("### ") is none.
    } else if (line.rfind("- ", 0) == 0 || line.rfind("|", 0) == 0 || !in_rule) {
      rules.push_back({n, line});
      in_rule = line.rfind("|", 0) != 0;  // A table row is one rule by itself.
    } else {
      rules.back().text += "\n" + line;
    }
  });
  return sections;
}

TEST(TidyTest, EveryModelRuleCitesThePostgresSourceItFollows) {
  const std::vector<std::string> not_about_postgres = {"Determinism", "Timing and \"either\"", "Perturbation",
                                                       "Not modelled", "Known differences found by the source audit"};
  const std::regex source_path(R"(`src/[\w./-]*`?)");
  const std::regex real_path(R"(`src/[\w/-]+\.(c|h|y|l)`)");
  const std::regex manual_section(R"(\b\d{1,2}\.\d{1,2}(\.\d{1,2})? ")");  // 27.2.8 "Synchronous Replication"
  const std::string text = read(kRoot / "docs" / "model.md");
  const std::vector<ModelSection> sections = model_sections(text);
  ASSERT_GT(sections.size(), 10u) << "docs/model.md has lost its sections";
  int checked = 0;
  for (size_t i = 1; i < sections.size(); ++i) {
    const ModelSection& s = sections[i];
    const bool exempt = std::any_of(not_about_postgres.begin(), not_about_postgres.end(),
                                    [&](const std::string& t) { return s.title.rfind(t, 0) == 0; });
    if (exempt) continue;
    bool names_manual_section = std::regex_search(s.title, manual_section);
    for (size_t r = 0; r < s.rules.size(); ++r) {
      const ModelRule& rule = s.rules[r];
      names_manual_section |= std::regex_search(rule.text, manual_section);
      if (rule.table_header) continue;
      ++checked;
      EXPECT_TRUE(std::regex_search(rule.text, source_path))
          << "docs/model.md:" << rule.line << ": a rule in \"" << s.title
          << "\" cites no PostgreSQL source; add (`src/<path>.c`, `Function`) from REL_15_STABLE:\n"
          << rule.text;
      for (auto m = std::sregex_iterator(rule.text.begin(), rule.text.end(), source_path); m != std::sregex_iterator();
           ++m) {
        const std::string cited = m->str();
        EXPECT_TRUE(std::regex_match(cited, real_path))
            << "docs/model.md:" << rule.line << ": " << cited << " is not a source file's path (src/....c, .h, .y)";
      }
    }
    EXPECT_TRUE(names_manual_section) << "docs/model.md:" << s.line << ": section \"" << s.title
                                      << "\" names no PostgreSQL 15 manual section";
  }
  EXPECT_GT(checked, 40) << "docs/model.md: fewer rules than expected were found; is the parser still right?";
}

}  // namespace
