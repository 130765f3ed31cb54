// The browser check shared by the timeline tests: render in headless Chromium, then assert
// the page ran its script without errors, marks charlie as acknowledged and lost, and gives
// a non-trivial screenshot. Fails (never skips) when Chromium is missing.
#pragma once

#include <string>

namespace replsim::testing {

// `name` names the files; `marks` is how many transaction marks the page must draw.
// With REPLSIM_SCREENSHOT_DIR set, the screenshot is kept there as <name>.png.
void check_page_in_browser(const std::string& html, const std::string& name, int marks);

}  // namespace replsim::testing
