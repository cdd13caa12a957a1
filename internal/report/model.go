package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// ErrNoReport is returned by Load for a directory holding neither Ginkgo's
// JSON report nor a JUnit XML report.
var ErrNoReport = errors.New("no report.json or junit*.xml")

// Run is everything the page shows, read from one report directory.
type Run struct {
	// Dir is the report directory.
	Dir string
	// Source is the file the specs came from (report.json or a JUnit file).
	Source string
	// Suite is the suite's description.
	Suite string
	// Start and End bound the run.
	Start, End time.Time
	// Duration is the suite's run time.
	Duration time.Duration
	// Succeeded is Ginkgo's verdict on the whole suite.
	Succeeded bool
	// SuiteFailures are Ginkgo's special failure reasons ("Interrupted by
	// User", ...).
	SuiteFailures []string
	// Specs are the It specs and the suite-level nodes, in report order.
	Specs []Spec
	// Timed is true when the specs carry start and end times (Ginkgo's
	// JSON report; JUnit has none).
	Timed bool
	// Processes is the number of Ginkgo processes.
	Processes int
	// Info, Phases and Resources come from run.json, phases.json and
	// resources.json, when present.
	Info      RunInfo
	Phases    []Phase
	Resources *Resources
	// Logs are the component log files present in Dir.
	Logs []string
	// Notes are problems met while reading the directory, shown on the page.
	Notes []string
	// Fault is fault.txt: which node process died mid-run, with its log
	// tail (the first maxFault bytes).
	Fault string
}

// maxFault bounds the part of fault.txt shown on the page.
const maxFault = 8 << 10

// Spec is one spec or suite-level node (BeforeSuite, AfterSuite...).
type Spec struct {
	// Name is the container texts and the spec's text, joined by spaces.
	Name string
	// Kind is "It" for a spec, else the suite node's type.
	Kind string
	// State is Ginkgo's: passed, failed, skipped, pending, interrupted,
	// aborted, panicked or timedout.
	State string
	// Process is the Ginkgo process (1-based) that ran it.
	Process    int
	Start, End time.Time
	Duration   time.Duration
	Labels     []string
	// Namespaces are the namespaces the spec created.
	Namespaces []string
	// Failure is set for a failed spec.
	Failure *Failure
}

// Failure is why a spec failed and what the logs say around it.
type Failure struct {
	Message  string
	Location string
	// NodeType is where it failed (It, AfterEach, DeferCleanup...).
	NodeType string
	// Time is when it failed.
	Time time.Time
	// Excerpts are the component log lines that concern the spec.
	Excerpts []Excerpt
}

// IsSpec reports whether s is an It spec (not a suite node).
func (s Spec) IsSpec() bool { return s.Kind == "It" }

// Failed reports whether the spec's state is one of Ginkgo's failure states.
func (s Spec) Failed() bool { return failedState(s.State) }

func failedState(state string) bool {
	switch state {
	case "failed", "aborted", "panicked", "interrupted", "timedout":
		return true
	}
	return false
}

// Counts are the page's headline numbers (It specs only).
type Counts struct {
	Passed, Failed, Skipped, Total int
	// SuiteNodeFailures counts failed suite-level nodes.
	SuiteNodeFailures int
}

// Counts tallies the run's specs.
func (r *Run) Counts() Counts {
	var c Counts
	for _, s := range r.Specs {
		if !s.IsSpec() {
			if s.Failed() {
				c.SuiteNodeFailures++
			}
			continue
		}
		c.Total++
		switch {
		case s.State == "passed":
			c.Passed++
		case s.Failed():
			c.Failed++
		default:
			c.Skipped++
		}
	}
	return c
}

// componentLogs are the logs the page links, in display order, with what
// each holds.
var componentLogs = []struct{ File, What string }{
	{"kubelet.log", "kubelet"},
	{"containerd.log", "containerd"},
	{"services.log", "etcd, kube-apiserver, namespace controller"},
	{"kubelet-mode.log", "kubelet supervisor"},
	{"registry.log", "image registry"},
	{"fault.txt", "what died mid-run"},
}

// Load reads the report directory dir. It returns an error wrapping
// ErrNoReport when dir holds no report; other files are optional, and a
// broken one becomes a note on the page rather than an error.
func Load(dir string) (*Run, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("report directory: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("report directory %s: not a directory", dir)
	}
	r := &Run{Dir: dir}
	if err := r.loadSpecs(); err != nil {
		return nil, err
	}
	r.loadExtras()
	for _, l := range componentLogs {
		if _, err := os.Stat(filepath.Join(dir, l.File)); err == nil {
			r.Logs = append(r.Logs, l.File)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "fault.txt")); err == nil {
		if len(b) > maxFault {
			b = append(b[:maxFault], "\n…"...)
		}
		r.Fault = strings.ToValidUTF8(string(b), "�")
	}
	if err := r.addExcerpts(); err != nil {
		r.Notes = append(r.Notes, fmt.Sprintf("log excerpts: %v", err))
	}
	return r, nil
}

func (r *Run) loadSpecs() error {
	path := filepath.Join(r.Dir, GinkgoJSONFile)
	if _, err := os.Stat(path); err == nil {
		return r.loadGinkgoJSON(path)
	}
	junits, _ := filepath.Glob(filepath.Join(r.Dir, "junit*.xml"))
	if len(junits) == 0 {
		return fmt.Errorf("report directory %s: %w", r.Dir, ErrNoReport)
	}
	sort.Strings(junits)
	return r.loadJUnit(junits[0])
}

func (r *Run) loadExtras() {
	var phases []Phase
	if ok, err := readJSONIfPresent(filepath.Join(r.Dir, PhasesFile), &phases); err != nil {
		r.Notes = append(r.Notes, err.Error())
	} else if ok {
		r.Phases = phases
	}
	var res Resources
	if ok, err := readJSONIfPresent(filepath.Join(r.Dir, ResourcesFile), &res); err != nil {
		r.Notes = append(r.Notes, err.Error())
	} else if ok {
		r.Resources = &res
	}
	if _, err := readJSONIfPresent(filepath.Join(r.Dir, RunFile), &r.Info); err != nil {
		r.Notes = append(r.Notes, err.Error())
	}
}

// FailedSpecs are the failed specs and suite nodes, in report order.
func (r *Run) FailedSpecs() []int {
	var out []int
	for i, s := range r.Specs {
		if s.Failed() {
			out = append(out, i)
		}
	}
	return out
}

// namespacesIn finds the suite's namespace names (e2e-<base>-<suffix>) in
// text.
func namespacesIn(text string) []string {
	var out []string
	for _, m := range namespaceRE.FindAllString(text, -1) {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

func joinName(parts ...string) string {
	var nonEmpty []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			nonEmpty = append(nonEmpty, p)
		}
	}
	return strings.Join(nonEmpty, " ")
}
