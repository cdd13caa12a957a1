package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/node-e2e/harness/internal/run"
)

var (
	//go:embed assets/report.html.tmpl
	pageTemplate string
	//go:embed assets/report.css
	pageCSS string
	//go:embed assets/report.js
	pageJS string
)

var tmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"join":     strings.Join,
	"duration": fmtDuration,
	"clock":    func(t time.Time) string { return t.Format("2006-01-02 15:04:05 MST") },
	"isZero":   func(t time.Time) bool { return t.IsZero() },
}).Parse(pageTemplate))

// page is the template's model.
type page struct {
	Run        *Run
	Counts     Counts
	Status     string
	Title      string
	Timeline   *timeline
	Charts     []chart
	Startup    []phaseBar
	Teardown   []phaseBar
	PhaseTotal [2]string
	Failures   []failureView
	Logs       []logView
	CSS        template.CSS
	JS         template.JS
}

type failureView struct {
	ID   string
	Spec Spec
}

type logView struct{ File, What string }

// Status is the run's one-word verdict: passed, failed or interrupted.
func (r *Run) Status() string {
	for _, f := range r.SuiteFailures {
		if strings.Contains(strings.ToLower(f), "interrupt") {
			return "interrupted"
		}
	}
	for _, s := range r.Specs {
		if s.State == "interrupted" {
			return "interrupted"
		}
	}
	c := r.Counts()
	if c.Failed > 0 || c.SuiteNodeFailures > 0 || !r.Succeeded {
		return "failed"
	}
	return "passed"
}

// Render writes the page for r to w.
func Render(w io.Writer, r *Run) error {
	p := page{Run: r, Counts: r.Counts(), Status: r.Status(), CSS: template.CSS(pageCSS), JS: template.JS(pageJS)}
	p.Title = fmt.Sprintf("%s: %s", cmpOr(r.Info.NodeName, r.Suite, "node e2e run"), p.Status)
	if a, ok := axisFor(r); ok {
		p.Timeline = buildTimeline(r, a)
		p.Charts = buildCharts(r, a)
	}
	p.Startup, p.Teardown, p.PhaseTotal = buildPhases(r.Phases)
	for _, i := range r.FailedSpecs() {
		p.Failures = append(p.Failures, failureView{ID: failureID(i), Spec: r.Specs[i]})
	}
	for _, l := range componentLogs {
		for _, have := range r.Logs {
			if have == l.File {
				p.Logs = append(p.Logs, logView{l.File, l.What})
			}
		}
	}
	return tmpl.Execute(w, p)
}

// Generate loads the report directory dir and writes dir/report.html. It
// returns the page's path; an error wraps ErrNoReport when dir holds no
// report.
func Generate(dir string) (string, error) {
	r, err := Load(dir)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := Render(&buf, r); err != nil {
		return "", fmt.Errorf("render %s: %w", PageFile, err)
	}
	path := filepath.Join(dir, PageFile)
	return path, run.WriteFile(path, buf.Bytes(), 0o644)
}

func cmpOr(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
