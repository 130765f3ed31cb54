// The browser checks shared by the timeline tests: render in headless Chromium, then assert
// the page ran its script without errors, drew its marks and gave a non-trivial screenshot.
// They fail (never skip) when Chromium is missing.
#pragma once

#include <string>

namespace replsim::testing {

// What every timeline page must do in Chromium: its script ran (data-rendered="ok") with no
// error (no data-errors, no "Uncaught" on the console), it drew `marks` transaction marks,
// and the 1400x900 screenshot is a real picture. Returns the DOM as Chromium built it
// ("" after a failed assertion). `name` names the files; with REPLSIM_SCREENSHOT_DIR set the
// screenshot is kept there as <name>.png, and with `keep_html` the page as <name>.html.
std::string check_page_renders(const std::string& html, const std::string& name, int marks, bool keep_html);

// Drill 2.1's page: check_page_renders (keeping the page), and charlie's mark is
// acknowledged and lost, with its tooltip.
void check_page_in_browser(const std::string& html, const std::string& name, int marks);

}  // namespace replsim::testing
