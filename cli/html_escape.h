// HTML escaping for the pages replsim writes (timelines, compare reports): every string
// that came from a scenario or a result is user input.
#pragma once

#include <string>
#include <string_view>

namespace replsim::cli {

// Escapes & < > " ' so the text is safe in element content and in quoted attributes.
std::string html_escape(std::string_view text);

}  // namespace replsim::cli
