#include "course_doc.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace replsim::testing {
namespace {

const std::string kEllipsis = "…";

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t\r") - a + 1);
}

// Trimmed, with every run of spaces and tabs turned into one space.
std::string squeeze(const std::string& s) {
  std::string out;
  bool space = false;
  for (char c : trim(s)) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::vector<std::string> split_words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Whether `line` holds every `…`-separated piece of `pattern`, in order.
bool line_matches(const std::string& pattern, const std::string& line) {
  size_t at = 0, from = 0;
  while (true) {
    const size_t cut = pattern.find(kEllipsis, from);
    const std::string piece = trim(pattern.substr(from, cut == std::string::npos ? std::string::npos : cut - from));
    if (!piece.empty()) {
      const size_t found = line.find(piece, at);
      if (found == std::string::npos) return false;
      at = found + piece.size();
    }
    if (cut == std::string::npos) return true;
    from = cut + kEllipsis.size();
  }
}

}  // namespace

Chapter parse_chapter(const std::string& file, const std::string& text) {
  Chapter c;
  c.file = file;
  const std::vector<std::string> lines = lines_of(text);
  std::string fence;  // The open block's info string; "" outside blocks.
  bool in_block = false;
  CourseCommand* last = nullptr;
  const std::regex image(R"(!\[[^\]]*\]\(([^)\s]+)\))");
  const std::regex link(R"(\]\(([^)\s#]+\.md)(#[^)]*)?\))");
  const std::regex inline_command("`(replsim [^`]*)`");
  auto error = [&](size_t i, const std::string& message) {
    c.errors.push_back(file + ":" + std::to_string(i + 1) + ": " + message);
  };
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string line = trim(lines[i]);
    if (line.rfind("```", 0) == 0) {
      in_block = !in_block;
      fence = in_block ? trim(line.substr(3)) : "";
      if (in_block && fence == "text" && last == nullptr) error(i, "a ```text block with no command before it");
      continue;
    }
    if (!in_block) {
      if (c.title.empty() && line.rfind("# ", 0) == 0) c.title = trim(line.substr(2));
      for (std::sregex_iterator m(lines[i].begin(), lines[i].end(), image), end; m != end; ++m)
        c.images.push_back((*m)[1]);
      for (std::sregex_iterator m(lines[i].begin(), lines[i].end(), link), end; m != end; ++m)
        c.links.push_back((*m)[1]);
      for (std::sregex_iterator m(lines[i].begin(), lines[i].end(), inline_command), end; m != end; ++m)
        c.inline_commands.push_back(squeeze((*m)[1]));
      continue;
    }
    if (fence == "text") {
      if (last != nullptr && !line.empty()) last->expected_lines.push_back(squeeze(line));
      continue;
    }
    if (fence != "sh") continue;
    if (line.empty() || line[0] == '#') continue;
    const size_t first = i;
    std::string joined = line;
    while (!joined.empty() && joined.back() == '\\' && i + 1 < lines.size()) {
      joined.pop_back();
      joined += " " + trim(lines[++i]);
    }
    std::string comment;
    if (const size_t hash = joined.find(" #"); hash != std::string::npos) {
      comment = trim(joined.substr(hash + 2));
      joined = joined.substr(0, hash);
    }
    CourseCommand cmd;
    cmd.chapter = file;
    cmd.line = static_cast<int>(first) + 1;
    cmd.text = squeeze(joined);
    const std::vector<std::string> words = split_words(cmd.text);
    if (words.empty() || words[0] != "replsim") {
      error(first, "a line of a ```sh block that is not a replsim command: " + cmd.text);
      continue;
    }
    if (cmd.text.find_first_of("|&;<>$`'\"(){}*?~") != std::string::npos) {
      error(first, "write the command as plain words (no quotes, pipes, redirections or $): " + cmd.text);
      continue;
    }
    if (words.size() < 2) {
      error(first, "replsim without a subcommand");
      continue;
    }
    cmd.args.assign(words.begin() + 1, words.end());
    static const std::regex exits(R"(exits (\d+))");
    if (std::smatch m; std::regex_search(comment, m, exits)) cmd.expected_exit = std::stoi(m[1]);
    const std::string& verb = cmd.args[0];
    cmd.needs_pg = verb == "verify" || verb == "compare" || verb == "runs" ||
                   std::find(cmd.args.begin(), cmd.args.end(), "--real") != cmd.args.end();
    for (size_t w = 0; w + 1 < cmd.args.size(); ++w)
      if (cmd.args[w] == "--html") cmd.html = cmd.args[w + 1];
    c.commands.push_back(std::move(cmd));
    last = &c.commands.back();
  }
  if (in_block) error(lines.size() - 1, "a ``` block that is never closed");
  return c;
}

std::string source_dir() {
  const char* dir = std::getenv("REPLSIM_SOURCE_DIR");
  return dir != nullptr && *dir != '\0' ? dir : REPLSIM_TEST_SOURCE_DIR;
}

std::string course_dir() { return source_dir() + "/docs/course"; }

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<Chapter> read_chapters() {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(course_dir(), ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() == ".md" && name != "README.md") files.push_back(name);
  }
  std::sort(files.begin(), files.end());
  std::vector<Chapter> chapters;
  for (const auto& f : files) chapters.push_back(parse_chapter(f, read_text(course_dir() + "/" + f)));
  return chapters;
}

std::vector<Chapter> read_course_pages() {
  std::vector<Chapter> pages = read_chapters();
  pages.push_back(parse_chapter("README.md", read_text(course_dir() + "/README.md")));
  return pages;
}

bool output_matches(const std::vector<std::string>& expected, const std::string& output, std::string* missing) {
  std::vector<std::string> actual;
  for (const auto& l : lines_of(output)) actual.push_back(squeeze(l));
  size_t next = 0;
  for (const auto& want : expected) {
    if (want == kEllipsis || want == "...") continue;
    size_t i = next;
    while (i < actual.size() && !line_matches(want, actual[i])) ++i;
    if (i == actual.size()) {
      *missing = want;
      return false;
    }
    next = i + 1;
  }
  return true;
}

}  // namespace replsim::testing
