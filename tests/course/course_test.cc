// The course (docs/course/) never rots: its chapters follow the conventions of
// tests/course/course_doc.h, each has a command and a timeline picture that exists, every
// drill scenario is run by a chapter, and every simulator-only command (`replsim run`,
// `wal`, `check`) runs against the built CLI with the exit status and output its chapter
// states. The commands that need real PostgreSQL run in course_pg_test.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "course_doc.h"
#include "course_runner.h"

namespace replsim::testing {
namespace {

const char* kSample = R"(# Drill 9.9: a sample

Prose with `replsim run scenarios/x.yaml` and a [link](other.md#part) and ![pic](../p.png).

```sh
# a comment
replsim run scenarios/x.yaml --html x.html
replsim verify \
  scenarios/x.yaml   # exits 1 when they disagree
```

```text
first   line
…
a … b
```

```yaml
replsim: not a command, a YAML block
```
)";

TEST(CourseDocTest, ReadsCommandsTheirOutputAndThePictures) {
  const Chapter c = parse_chapter("9.9-sample.md", kSample);
  EXPECT_TRUE(c.errors.empty()) << c.errors.front();
  EXPECT_EQ(c.title, "Drill 9.9: a sample");
  ASSERT_EQ(c.commands.size(), 2u);
  EXPECT_EQ(c.commands[0].line, 7);
  EXPECT_EQ(c.commands[0].args, (std::vector<std::string>{"run", "scenarios/x.yaml", "--html", "x.html"}));
  EXPECT_FALSE(c.commands[0].needs_pg);
  EXPECT_EQ(c.commands[0].html, "x.html");
  EXPECT_EQ(c.commands[0].expected_exit, 0);
  EXPECT_TRUE(c.commands[0].expected_lines.empty());
  EXPECT_EQ(c.commands[1].text, "replsim verify scenarios/x.yaml");
  EXPECT_EQ(c.commands[1].line, 8);
  EXPECT_TRUE(c.commands[1].needs_pg);
  EXPECT_EQ(c.commands[1].expected_exit, 1);
  EXPECT_EQ(c.commands[1].expected_lines, (std::vector<std::string>{"first line", "…", "a … b"}));
  EXPECT_EQ(c.images, std::vector<std::string>{"../p.png"});
  EXPECT_EQ(c.links, std::vector<std::string>{"other.md"});
  EXPECT_EQ(c.inline_commands, std::vector<std::string>{"replsim run scenarios/x.yaml"});
}

TEST(CourseDocTest, RejectsWhatTheTestCannotRun) {
  EXPECT_EQ(parse_chapter("a.md", "```sh\ndocker-compose pause replica\n```\n").errors.size(), 1u);
  EXPECT_EQ(parse_chapter("a.md", "```sh\nreplsim run x.yaml | grep lost\n```\n").errors.size(), 1u);
  EXPECT_EQ(parse_chapter("a.md", "```sh\nreplsim run \"x y.yaml\"\n```\n").errors.size(), 1u);
  EXPECT_EQ(parse_chapter("a.md", "```sh\nreplsim\n```\n").errors.size(), 1u);
  EXPECT_EQ(parse_chapter("a.md", "```text\noutput of nothing\n```\n").errors.size(), 1u);
  EXPECT_EQ(parse_chapter("a.md", "```sh\nreplsim run x.yaml\n").errors.size(), 1u);
  EXPECT_TRUE(parse_chapter("a.md", "# No command at all\n\nJust prose.\n").commands.empty());
  EXPECT_TRUE(parse_chapter("a.md", "```\nreplsim run x.yaml\n```\n").commands.empty());  // Not a sh block.
}

TEST(CourseDocTest, OutputMatchesInOrderWithEllipsesAndAnySpacing) {
  const std::string out = "header\n  charlie    acknowledged   xid 736\nmiddle\nresult:   PASS\n";
  std::string missing;
  EXPECT_TRUE(output_matches({"charlie acknowledged xid 736", "result: PASS"}, out, &missing));
  EXPECT_TRUE(output_matches({"header", "…", "charlie … 736", "PASS"}, out, &missing));
  EXPECT_FALSE(output_matches({"result: PASS", "header"}, out, &missing));  // Out of order.
  EXPECT_EQ(missing, "header");
  EXPECT_FALSE(output_matches({"charlie … lost"}, out, &missing));
  EXPECT_FALSE(output_matches({"736 … charlie"}, out, &missing));
  EXPECT_TRUE(output_matches({}, out, &missing));
}

TEST(CourseTest, TheIndexLinksEveryChapterAndEachLinkExists) {
  const Chapter index = parse_chapter("README.md", read_text(course_dir() + "/README.md"));
  ASSERT_FALSE(index.title.empty()) << "no docs/course/README.md with a title";
  EXPECT_TRUE(index.errors.empty()) << index.errors.front();
  const std::set<std::string> linked(index.links.begin(), index.links.end());
  for (const Chapter& c : read_chapters()) EXPECT_TRUE(linked.count(c.file)) << "README.md does not link " << c.file;
  for (const auto& l : index.links)
    EXPECT_TRUE(std::filesystem::exists(course_dir() + "/" + l)) << "README.md links " << l << ", which does not exist";
}

// The chapters the course promises: one per original drill (docs/course/README.md) and one on sync
// versus async replication.
TEST(CourseTest, EverySeedDrillAndSyncVersusAsyncHasAChapter) {
  const std::vector<Chapter> chapters = read_chapters();
  for (const std::string prefix : {"1.1-", "2.1-", "3.1-", "4.1-", "sync-vs-async"}) {
    EXPECT_TRUE(
        std::any_of(chapters.begin(), chapters.end(), [&](const Chapter& c) { return c.file.rfind(prefix, 0) == 0; }))
        << "no chapter docs/course/" << prefix << "*.md";
  }
}

TEST(CourseTest, EveryChapterFollowsTheConventions) {
  for (const Chapter& c : read_chapters()) {
    EXPECT_FALSE(c.title.empty()) << c.file << " has no `# ` title";
    for (const auto& e : c.errors) ADD_FAILURE() << e;
    for (const auto& l : c.links)
      EXPECT_TRUE(std::filesystem::exists(course_dir() + "/" + l))
          << c.file << " links " << l << ", which does not exist";
  }
}

TEST(CourseTest, EveryChapterHasACommand) {
  const std::vector<Chapter> chapters = read_chapters();
  ASSERT_FALSE(chapters.empty()) << "no chapters in " << course_dir();
  for (const Chapter& c : chapters)
    EXPECT_FALSE(c.commands.empty()) << "docs/course/" << c.file
                                     << " has no command to run (a ```sh block of replsim lines)";
}

TEST(CourseTest, EveryChapterShowsATimelinePictureThatExists) {
  for (const Chapter& c : read_chapters()) {
    EXPECT_TRUE(std::any_of(c.images.begin(), c.images.end(),
                            [](const std::string& i) { return i.find("timeline-") != std::string::npos; }))
        << "docs/course/" << c.file << " shows no timeline picture";
    for (const auto& image : c.images)
      EXPECT_TRUE(std::filesystem::exists(course_dir() + "/" + image))
          << c.file << " shows " << image << ", which does not exist";
  }
}

// A drill in scenarios/ that no chapter runs is a drill the course does not teach.
TEST(CourseTest, EveryDrillScenarioIsRunByAChapter) {
  std::set<std::string> run;
  for (const Chapter& c : read_course_pages())
    for (const auto& cmd : c.commands)
      for (const auto& a : cmd.args) run.insert(a);
  std::error_code ec;
  int drills = 0;
  for (const auto& entry : std::filesystem::directory_iterator(source_dir() + "/scenarios", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("drill-", 0) != 0 || entry.path().extension() != ".yaml") continue;
    ++drills;
    EXPECT_TRUE(run.count("scenarios/" + name)) << "no chapter runs scenarios/" << name;
  }
  EXPECT_GE(drills, 2) << "the drills were not found under " << source_dir() << "/scenarios";
}

// `replsim ...` in the prose must be (the start of) a command the course runs, so that the
// prose cannot name a flag or a file the tested commands do not use.
TEST(CourseTest, CommandsNamedInTheProseAreRunByTheCourse) {
  const std::vector<Chapter> pages = read_course_pages();
  std::vector<std::string> commands;
  for (const Chapter& c : pages)
    for (const auto& cmd : c.commands) commands.push_back(cmd.text + " ");
  for (const Chapter& c : pages)
    for (const auto& named : c.inline_commands)
      EXPECT_TRUE(std::any_of(commands.begin(), commands.end(),
                              [&](const std::string& cmd) { return cmd.rfind(named + " ", 0) == 0; }))
          << c.file << " names `" << named << "`, which no ```sh block of the course runs";
}

// The sync chapter shows the price of synchronous replication: a commit that waits, with its
// wait time printed, and drawn as a band on the primary's lane of the page its command writes,
// until the heal releases it.
TEST(CourseTest, TheSyncChapterShowsACommitWaitingUntilTheHealReleasesIt) {
  const Chapter chapter = parse_chapter("sync-blocks.md", read_text(course_dir() + "/sync-blocks.md"));
  const CourseCommand* run = nullptr;
  for (const auto& cmd : chapter.commands)
    if (!cmd.html.empty() &&
        std::find(cmd.args.begin(), cmd.args.end(), "scenarios/sync-commit-released-by-heal.yaml") != cmd.args.end())
      run = &cmd;
  ASSERT_NE(run, nullptr) << "sync-blocks.md runs no `replsim run scenarios/sync-commit-released-by-heal.yaml --html`";
  const std::vector<std::string>& lines = run->expected_lines;
  EXPECT_TRUE(std::any_of(lines.begin(), lines.end(), [](const std::string& l) {
    return std::regex_search(
        l, std::regex(R"(^\s*dora\s+waited [0-9.]+ s\s+on primary, from step 3 to step 6: acknowledged)"));
  })) << "the chapter does not show dora's wait time";
  Workdir dir;
  ASSERT_FALSE(dir.path().empty());
  const CommandRun result = run_replsim(run->args, dir.path(), 60);
  ASSERT_EQ(result.exit_code, 0) << result.out;
  EXPECT_TRUE(std::regex_search(result.out, std::regex(R"(commit waits\n\s+dora\s+waited 5\.[0-9] s )"))) << result.out;
  const std::string page = read_text(dir.path() + "/" + run->html);
  EXPECT_NE(page.find(R"(class="tip wait" data-wait="dora" data-node="primary" data-open="no")"), std::string::npos)
      << "no wait band for dora on the primary's lane in " << run->html;
  EXPECT_TRUE(std::regex_search(page, std::regex(R"(class="lbl wait-label"[^>]*>dora waited 5\.[0-9] s<)")))
      << "dora's wait band has no label with its duration";
}

TEST(CourseTest, SimulatorCommandsRunAsTheChaptersSay) {
  const int ran = run_and_check_commands(read_course_pages(), /*pg=*/false);
  EXPECT_GT(ran, 0) << "no simulator command in the course";
}

}  // namespace
}  // namespace replsim::testing
