// The course (docs/course/*.md) as the tests read it: every command a chapter asks the reader
// to run, what the chapter says it prints, and the pictures it shows.
//
// The conventions a chapter follows (docs/course/README.md repeats them for authors):
// - A command is a line of a ```sh block. Every such line is `replsim ...` (a `\` at the end
//   continues it on the next line) or a `#` comment: anything else is an error, so no command
//   escapes the tests. Commands are plain words: no quotes, pipes, redirections or `$`.
// - A trailing `# exits N` states the exit status (default 0).
// - A ```text block is output of the last command before it. Each of its lines must appear in
//   that order in what the command prints; runs of spaces count as one, a line `…` skips
//   output, and `…` inside a line stands for any text (numbers measured on a real cluster).
#pragma once

#include <string>
#include <vector>

namespace replsim::testing {

struct CourseCommand {
  std::string chapter;            // File name, e.g. "2.1-replication-lag.md".
  int line = 0;                   // 1-based line of the command in the chapter.
  std::string text;               // As written (continuations joined), without comment.
  std::vector<std::string> args;  // The words after `replsim`.
  int expected_exit = 0;
  std::vector<std::string> expected_lines;  // From the ```text blocks after it.
  bool needs_pg = false;                    // verify, compare, runs, or run --real.
  std::string html;                         // The value of --html, if any.
};

struct Chapter {
  std::string file;   // File name.
  std::string title;  // The first `# ` heading.
  std::vector<CourseCommand> commands;
  std::vector<std::string> images;           // Targets of ![..](..), as written.
  std::vector<std::string> inline_commands;  // `replsim ...` code spans in the prose.
  std::vector<std::string> links;            // Targets of [..](x.md) links, as written.
  std::vector<std::string> errors;           // Broken conventions, as "file:line: message".
};

// Parses one chapter's text; `file` names it in errors and commands.
Chapter parse_chapter(const std::string& file, const std::string& text);

// docs/course/ under the source directory ($REPLSIM_SOURCE_DIR, else the build's).
std::string course_dir();
std::string source_dir();
// Every chapter: docs/course/*.md except README.md, sorted by name.
std::vector<Chapter> read_chapters();
// The chapters and README.md (the index): every page whose commands the tests run.
std::vector<Chapter> read_course_pages();
std::string read_text(const std::string& path);

// Whether every expected line appears, in order, in `output` (see the conventions above).
// On a mismatch, returns false and sets `missing` to the first line not found.
bool output_matches(const std::vector<std::string>& expected, const std::string& output, std::string* missing);

}  // namespace replsim::testing
