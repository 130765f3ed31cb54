// The course's commands that need real PostgreSQL (`replsim verify`, `compare`, `runs`,
// `run --real`), run against the built CLI with the exit status and output their chapters
// state. About a minute: `compare --quick` is most of it.
#include <gtest/gtest.h>

#include "course_doc.h"
#include "course_runner.h"

namespace replsim::testing {
namespace {

TEST(CoursePgTest, RealClusterCommandsRunAsTheChaptersSay) {
  const int ran = run_and_check_commands(read_course_pages(), /*pg=*/true);
  EXPECT_GT(ran, 0) << "no command of the course runs on real PostgreSQL";
}

}  // namespace
}  // namespace replsim::testing
