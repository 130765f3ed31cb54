#include "cli/html_index.h"

#include <fmt/format.h>

#include <cctype>
#include <filesystem>
#include <fstream>

#include "cli/html_escape.h"
#include "cli/html_timeline.h"

namespace replsim::cli {
namespace {

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string file_name(const std::string& path) { return std::filesystem::path(path).filename().string(); }

}  // namespace

bool html_is_directory(const std::string& path, size_t count) {
  if (path.empty()) return false;
  if (path.back() == '/') return true;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return true;
  std::string lower;
  for (char c : path) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return count > 1 && !ends_with(lower, ".html") && !ends_with(lower, ".htm");
}

Status make_html_directory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir))
    return Status::IoError(
        fmt::format("{}: cannot make the directory for the pages{}", dir, ec ? ": " + ec.message() : ""));
  return Status::Ok();
}

std::string html_page_in_directory(const std::string& dir, const std::string& file, std::set<std::string>* taken) {
  std::string stem;
  for (char c : std::filesystem::path(file).stem().string())
    stem += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
  if (stem.empty() || stem == "index") stem = "scenario-" + stem;
  std::string name = stem + ".html";
  for (int n = 2; !taken->insert(name).second; ++n) name = fmt::format("{}-{}.html", stem, n);
  return (std::filesystem::path(dir) / name).string();
}

std::string render_index_html(const std::string& title, const std::vector<IndexEntry>& entries) {
  size_t passed = 0;
  for (const auto& e : entries) passed += e.passed ? 1 : 0;
  std::string h = fmt::format(R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="replsim">
<title>{0}</title>
<style>
body{{margin:0;padding:18px 22px 40px;font:14px/1.45 system-ui,-apple-system,"Segoe UI","DejaVu Sans",Arial,sans-serif;color:#1d2330;background:#f6f7f9}}
h1{{font-size:21px;margin:0 0 8px}}table{{border-collapse:collapse;background:#fff;font-size:13.5px}}
th,td{{border:1px solid #d9dee7;padding:5px 10px;text-align:left;vertical-align:top}}th{{background:#eef1f6}}
td.pass{{background:#e5f5e0;color:#1b5e20;font-weight:600}}td.fail{{background:#fde0dd;color:#a50f15;font-weight:600}}
code{{font:12px "DejaVu Sans Mono",monospace}}.muted{{color:#5b6475}}
</style></head>
<body>
<h1>{0}</h1>
<p class="totals" data-passed="{1}" data-total="{2}"><b>{1} of {2}</b> passed{3}.</p>
<table class="index"><thead><tr><th>scenario</th><th>file</th><th>verdict</th><th>result</th></tr></thead><tbody>
)",
                              html_escape(title), passed, entries.size(),
                              passed == entries.size() ? "" : fmt::format(", {} failed", entries.size() - passed));
  for (const auto& e : entries) {
    const std::string href = html_escape(file_name(e.page));
    h += fmt::format(
        "<tr data-scenario=\"{0}\"><td><a href=\"{1}\">{0}</a></td><td><code>{2}</code></td><td class=\"verdict\">{3}{4}"
        "</td><td class=\"{5}\">{6}</td></tr>\n",
        html_escape(e.scenario), href, html_escape(e.file), html_escape(e.verdict),
        e.detail.empty() ? "" : "<br><span class=\"muted\">" + html_escape(e.detail) + "</span>",
        e.passed ? "pass" : "fail", e.passed ? "pass" : "FAIL");
  }
  h += "</tbody></table>\n<p class=\"muted\">Each link opens the scenario's timeline page (same directory).</p>\n";
  h += "<script>document.body.setAttribute('data-rendered','ok');</script>\n</body></html>\n";
  return h;
}

Status write_index_html(const std::string& dir, const std::string& title, const std::vector<IndexEntry>& entries) {
  const std::string path = (std::filesystem::path(dir) / "index.html").string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Status::IoError(fmt::format("{}: cannot write the index page", path));
  out << render_index_html(title, entries);
  out.close();
  if (!out) return Status::IoError(fmt::format("{}: writing the index page failed", path));
  return Status::Ok();
}

HtmlPages::HtmlPages(std::string path, size_t count)
    : path_(std::move(path)), count_(count), directory_(html_is_directory(path_, count)) {}

Status HtmlPages::prepare() const { return directory_ ? make_html_directory(path_) : Status::Ok(); }

std::string HtmlPages::path_for(const std::string& scenario_name, const std::string& file) {
  return directory_ ? html_page_in_directory(path_, file, &taken_) : html_path_for(path_, scenario_name, count_);
}

Status HtmlPages::finish(const std::string& title) const {
  return directory_ ? write_index_html(path_, title, entries_) : Status::Ok();
}

std::string HtmlPages::index_path() const {
  return directory_ ? (std::filesystem::path(path_) / "index.html").string() : "";
}

}  // namespace replsim::cli
