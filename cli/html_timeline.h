// The timeline page: a scenario's run drawn as one self-contained HTML file (inline CSS,
// SVG and a little JavaScript; no external URL), for `replsim run|verify|check --html`.
// One lane per node over the scenario's steps, the nodes' LSNs as lines, faults as
// shaded bands and each transaction as a mark coloured by its fate. How to read it:
// docs/timelines.md. The page is laid out by TimelineLayout (timeline_layout.h), its chart
// drawn by TimelineSvg (timeline_svg.h) and the rest of the document by TimelinePage
// (timeline_page.h); this header is the way in.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cli/html_escape.h"
#include "vocab/run_result.h"
#include "vocab/scenario.h"
#include "vocab/status.h"

namespace replsim::cli {

// The x axis: a column per step (repeated steps grouped in one), or each step as wide as it
// took in each run's own time (above a small floor, with the step labels kept). kAuto chooses
// time when the steps' durations differ by more than 10× (a step under 1 ms counting as 1 ms).
enum class TimelineAxis { kAuto, kSteps, kTime };
// "steps", "time" or "auto", as --axis takes them; nullopt for any other word.
std::optional<TimelineAxis> parse_timeline_axis(const std::string& text);

// What became of a transaction, as the page colours it.
enum class TxFate {
  kKept,          // Acknowledged and present on the final primary.
  kLost,          // Acknowledged, yet absent on the final primary.
  kAcknowledged,  // Acknowledged; the final primary's contents are unknown.
  kBlocked,       // Still waiting for synchronous replication at the end.
  kInDoubt,       // The connection was lost mid-commit (or no outcome was recorded).
  kCancelled,     // Its wait was cancelled: committed locally, never acknowledged.
  kFailed,        // It did not commit.
  kEither,        // A prediction that depends on timing: more than one outcome, or presence "either".
};
// Stable ids used in the page's data-fate attributes ("acknowledged-lost", ...).
const char* fate_id(TxFate fate);
TxFate tx_fate(const RunResult& run, const TxRecord& tx);
// The node the run ended with as primary (highest timeline), or null when none did.
const NodeFinal* final_primary(const RunResult& run);

// Renders the page. `predicted` (a simulator Prediction) and `observed` (a History from
// real PostgreSQL) may each be null; with both, their lanes share one step axis, the
// prediction above. Every string from the scenario or the results is HTML-escaped.
// The page's script sets <body data-rendered="ok"> when it ran, and data-errors on a
// script error, so a browser test can tell.
std::string render_timeline_html(const Scenario& scenario, const RunResult* predicted, const RunResult* observed);

// Renders and writes the page to `path`; an unwritable path is an IoError.
Status write_timeline_html(const std::string& path, const Scenario& scenario, const RunResult* predicted,
                           const RunResult* observed, TimelineAxis axis = TimelineAxis::kAuto);

// A box under the page's title that says why the page exists, e.g. which property a
// `replsim check` counterexample breaks. Both strings are escaped; an empty title shows none.
struct PageBanner {
  std::string title;  // One line, in bold.
  std::string text;   // A paragraph under it.
};
std::string render_timeline_html(const Scenario& scenario, const RunResult* predicted, const RunResult* observed,
                                 const PageBanner& banner, TimelineAxis axis = TimelineAxis::kAuto);

// The page of a `replsim check` counterexample: the shrunk scenario as the simulator ran it
// (`prediction`), under a banner naming the broken `property` and the campaign's `witness`.
// `yaml_file` is where check wrote the scenario; the page shows it as the scenario's file,
// so the reader can `replsim run` it.
std::string render_counterexample_html(const std::string& property, const std::string& witness,
                                       const std::string& yaml_file, const Scenario& scenario,
                                       const RunResult& prediction, TimelineAxis axis = TimelineAxis::kAuto);
Status write_counterexample_html(const std::string& path, const std::string& property, const std::string& witness,
                                 const std::string& yaml_file, const Scenario& scenario, const RunResult& prediction,
                                 TimelineAxis axis = TimelineAxis::kAuto);

}  // namespace replsim::cli

namespace replsim::cli {
// Where `--html BASE` writes the page of one of `count` scenarios: BASE itself for one
// scenario, else BASE with the scenario's name before the extension (report-drill-2.1.html).
std::string html_path_for(const std::string& base, const std::string& scenario_name, size_t count);
}  // namespace replsim::cli
