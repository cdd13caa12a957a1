// Package report renders a run's report directory into one self-contained
// page, report.html: the summary (counts, duration, the node, the command
// that reproduces the run), startup and teardown phases, a timeline with a
// lane per Ginkgo process and a bar per spec, the node's resources over the
// run, and, for each failed spec, its failure and the component log lines
// that concern it.
//
// Rendering is pure: Load reads a report directory (Ginkgo's JSON report,
// else the JUnit XML; phases.json, resources.json, run.json and the
// component logs when present) and Render writes HTML with its CSS and
// JavaScript inlined, so the page needs no network. WriteIndex renders the
// page over the hosts of a remote run.
//
// The package also holds the resource Sampler that writes resources.json
// during a run. It does not import Ginkgo: it decodes the fields of
// Ginkgo's JSON report it needs.
package report
