// `--html DIR` for `replsim run` and `replsim verify`: one timeline page per scenario in DIR
// and an index.html linking each scenario's page with its verdict. How `--html PATH` is read:
// a directory when PATH ends with '/', is an existing directory, or names no .html/.htm file
// while several scenarios are given; otherwise a file (several scenarios then write
// PATH-<scenario>.html, html_path_for). docs/timelines.md, "Index page".
#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "vocab/status.h"

namespace replsim::cli {

// Is `path` the directory form of --html for `count` scenarios?
bool html_is_directory(const std::string& path, size_t count);

// Creates `dir` (and its parents) if it does not exist; an IoError if it cannot.
Status make_html_directory(const std::string& dir);

// The page of the scenario read from `file` in `dir`: dir/<file's stem>.html, made unique
// against `taken` (which it extends) with -2, -3, ... The stem keeps letters, digits, '.', '-'
// and '_'; anything else becomes '_'.
std::string html_page_in_directory(const std::string& dir, const std::string& file, std::set<std::string>* taken);

struct IndexEntry {
  std::string scenario;  // Its name.
  std::string file;      // Its YAML file, as given.
  std::string page;      // The page's path; the index links it by its file name (same directory).
  std::string verdict;   // "agree", "disagree", "expectations held", ...
  bool passed = false;   // Shown green (pass) or red (FAIL).
  std::string detail;    // One more line, e.g. why it could not run.
};

// The index page: one row per scenario with a link to its page and its verdict, and the
// totals. Self-contained like the timeline pages; every string is escaped.
std::string render_index_html(const std::string& title, const std::vector<IndexEntry>& entries);
// Writes it to dir/index.html.
Status write_index_html(const std::string& dir, const std::string& title, const std::vector<IndexEntry>& entries);

// Where one command's --html pages go, and the index it writes in directory form. Usage:
// prepare() before the runs (makes the directory: a bad path fails early), path_for() and
// add() per scenario, finish() at the end (writes index.html; nothing in file form).
class HtmlPages {
 public:
  HtmlPages(std::string path, size_t count);
  bool directory() const { return directory_; }
  Status prepare() const;
  std::string path_for(const std::string& scenario_name, const std::string& file);
  void add(IndexEntry entry) { entries_.push_back(std::move(entry)); }
  Status finish(const std::string& title) const;
  // The index's path in directory form, else "".
  std::string index_path() const;

 private:
  std::string path_;
  size_t count_;
  bool directory_;
  std::set<std::string> taken_;
  std::vector<IndexEntry> entries_;
};

}  // namespace replsim::cli
