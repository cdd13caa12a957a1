package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"
)

// Phase is one timed step of the harness's startup or teardown, as
// phases.json holds it (a duration in nanoseconds) and as the suite
// prints it under "startup phases:" and "teardown phases:".
type Phase struct {
	Name     string        `json:"name"`
	Duration time.Duration `json:"duration"`
	Parent   string        `json:"parent,omitempty"`
}

// Phase headers the suite prints on stdout.
const (
	StartupHeader  = "startup phases:"
	TeardownHeader = "teardown phases:"
)

// phaseRow is "  <name>  <duration>": two leading blanks, the name, at
// least two blanks, a Go duration.
var phaseRow = regexp.MustCompile(`^  (\S.*?)\s{2,}(\S+)$`)

// ParsePhaseTable reads the table printed under header (e.g. "startup
// phases:") from the suite's output: its rows up to the first line that
// is not a row. The header may follow other text on its line (Ginkgo's
// progress dots). Pure.
func ParsePhaseTable(output, header string) ([]Phase, error) {
	var phases []Phase
	in := false
	sc := bufio.NewScanner(strings.NewReader(output))
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if !in {
			in = strings.HasSuffix(line, header)
			continue
		}
		m := phaseRow.FindStringSubmatch(line)
		if m == nil {
			break
		}
		d, err := time.ParseDuration(m[2])
		if err != nil {
			return nil, fmt.Errorf("%s row %q: %w", header, line, err)
		}
		phases = append(phases, Phase{Name: m[1], Duration: d})
	}
	if !in {
		return nil, fmt.Errorf("no %q table in the output", header)
	}
	return phases, nil
}

// ReadPhases reads a report directory's phases.json.
func ReadPhases(path string) ([]Phase, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var ps []Phase
	if err := json.Unmarshal(b, &ps); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	return ps, nil
}

// PhaseDuration is the duration of the first phase called name.
func PhaseDuration(ps []Phase, name string) (time.Duration, bool) {
	for _, p := range ps {
		if p.Name == name {
			return p.Duration, true
		}
	}
	return 0, false
}

// ginkgoReport is the part of Ginkgo's report.json the benchmark reads.
type ginkgoReport struct {
	StartTime   time.Time
	EndTime     time.Time
	SpecReports []struct {
		LeafNodeType string
		LeafNodeText string
		State        string
		StartTime    time.Time
		EndTime      time.Time
	}
}

// SpecTimes is what report.json says about the specs that ran.
type SpecTimes struct {
	// FirstStart is when the first spec (an It that was not skipped)
	// started; zero when none ran.
	FirstStart time.Time
	// Ran and Failed count the Its that ran and those that did not pass.
	Ran, Failed int
}

// ParseGinkgoReport reads Ginkgo's JSON report (one report per suite). Pure.
func ParseGinkgoReport(b []byte) (SpecTimes, error) {
	var reports []ginkgoReport
	if err := json.Unmarshal(b, &reports); err != nil {
		return SpecTimes{}, fmt.Errorf("decode ginkgo report: %w", err)
	}
	var st SpecTimes
	for _, r := range reports {
		for _, s := range r.SpecReports {
			if s.LeafNodeType != "It" || s.State == "skipped" || s.State == "pending" {
				continue
			}
			st.Ran++
			if s.State != "passed" {
				st.Failed++
			}
			if st.FirstStart.IsZero() || s.StartTime.Before(st.FirstStart) {
				st.FirstStart = s.StartTime
			}
		}
	}
	return st, nil
}
