package report

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// NamespaceEntry is the name of the Ginkgo report entry through which a
// spec records each namespace it creates.
const NamespaceEntry = "namespace"

// namespaceRE matches the suite's namespaces, "e2e-<run id suffix>-<base>-"
// and 5 characters of the API server's generateName alphabet.
var namespaceRE = regexp.MustCompile(`\be2e-[a-z0-9]+(?:-[a-z0-9]+)*-[bcdfghjklmnpqrstvwxz2456789]{5}\b`)

// The fields of Ginkgo's JSON report (github.com/onsi/ginkgo/v2/types)
// that the page uses.
type ginkgoReport struct {
	SuiteDescription           string
	SuiteSucceeded             bool
	SpecialSuiteFailureReasons []string
	StartTime, EndTime         time.Time
	RunTime                    time.Duration
	SuiteConfig                struct{ ParallelTotal int }
	SpecReports                []ginkgoSpec
}

type ginkgoSpec struct {
	ContainerHierarchyTexts []string
	LeafNodeType            string
	LeafNodeText            string
	LeafNodeLabels          []string
	State                   string
	StartTime, EndTime      time.Time
	RunTime                 time.Duration
	ParallelProcess         int
	Failure                 struct {
		Message          string
		Location         ginkgoLocation
		TimelineLocation struct{ Time time.Time }
		FailureNodeType  string
		ForwardedPanic   string
	}
	ReportEntries []struct {
		Name  string
		Value struct{ Representation string }
	}
	CapturedGinkgoWriterOutput string
}

type ginkgoLocation struct {
	FileName   string
	LineNumber int
}

func (l ginkgoLocation) String() string {
	if l.FileName == "" {
		return ""
	}
	return l.FileName + ":" + strconv.Itoa(l.LineNumber)
}

func (r *Run) loadGinkgoJSON(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	var reports []ginkgoReport
	if err := json.Unmarshal(b, &reports); err != nil {
		return fmt.Errorf("decode Ginkgo JSON report %s: %w", path, err)
	}
	if len(reports) == 0 {
		return fmt.Errorf("decode Ginkgo JSON report %s: it holds no suite", path)
	}
	g := reports[0]
	r.Source, r.Timed = filepath.Base(path), true
	r.Suite, r.Succeeded, r.SuiteFailures = g.SuiteDescription, g.SuiteSucceeded, g.SpecialSuiteFailureReasons
	r.Start, r.End, r.Duration = g.StartTime, g.EndTime, g.RunTime
	r.Processes = max(g.SuiteConfig.ParallelTotal, 1)
	for _, gs := range g.SpecReports {
		s := Spec{
			Name:     joinName(append(append([]string{}, gs.ContainerHierarchyTexts...), gs.LeafNodeText)...),
			Kind:     gs.LeafNodeType,
			State:    gs.State,
			Process:  max(gs.ParallelProcess, 1),
			Start:    gs.StartTime,
			End:      gs.EndTime,
			Duration: gs.RunTime,
			Labels:   gs.LeafNodeLabels,
		}
		if s.Name == "" {
			s.Name = s.Kind
		}
		for _, e := range gs.ReportEntries {
			if e.Name == NamespaceEntry && e.Value.Representation != "" {
				s.Namespaces = append(s.Namespaces, e.Value.Representation)
			}
		}
		if failedState(s.State) {
			f := &Failure{
				Message:  gs.Failure.Message,
				Location: gs.Failure.Location.String(),
				NodeType: gs.Failure.FailureNodeType,
				Time:     gs.Failure.TimelineLocation.Time,
			}
			if gs.Failure.ForwardedPanic != "" {
				f.Message = joinName(f.Message, "panic: "+gs.Failure.ForwardedPanic)
			}
			if f.Time.IsZero() {
				f.Time = s.End
			}
			s.Failure = f
			if len(s.Namespaces) == 0 {
				s.Namespaces = namespacesIn(gs.Failure.Message + "\n" + gs.CapturedGinkgoWriterOutput)
			}
		}
		if s.Process > r.Processes {
			r.Processes = s.Process
		}
		r.Specs = append(r.Specs, s)
	}
	return nil
}

// The JUnit XML Ginkgo writes (reporters.GenerateJUnitReport).
type junitSuites struct {
	Suites []struct {
		Name      string  `xml:"name,attr"`
		Time      float64 `xml:"time,attr"`
		Timestamp string  `xml:"timestamp,attr"`
		Cases     []struct {
			Name    string  `xml:"name,attr"`
			Status  string  `xml:"status,attr"`
			Time    float64 `xml:"time,attr"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"error"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// loadJUnit reads specs from JUnit XML: no start times, so no timeline.
func (r *Run) loadJUnit(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	var js junitSuites
	if err := xml.Unmarshal(b, &js); err != nil {
		return fmt.Errorf("decode JUnit report %s: %w", path, err)
	}
	if len(js.Suites) == 0 {
		return fmt.Errorf("JUnit report %s: %w", path, errors.New("no testsuite"))
	}
	r.Source, r.Processes, r.Succeeded = filepath.Base(path), 1, true
	for _, su := range js.Suites {
		r.Suite = su.Name
		r.Duration += seconds(su.Time)
		if t, err := time.Parse("2006-01-02T15:04:05", su.Timestamp); err == nil && r.Start.IsZero() {
			r.Start = t
		}
		for _, c := range su.Cases {
			kind, name := "It", c.Name
			if k, rest, ok := strings.Cut(c.Name, "] "); ok && strings.HasPrefix(k, "[") {
				kind, name = strings.TrimPrefix(k, "["), rest
			} else if strings.HasPrefix(c.Name, "[") && strings.HasSuffix(c.Name, "]") {
				kind = strings.Trim(c.Name, "[]") // a suite node: "[SynchronizedBeforeSuite]"
			}
			s := Spec{Name: name, Kind: kind, State: c.Status, Process: 1, Duration: seconds(c.Time)}
			f := c.Failure
			if f == nil {
				f = c.Error
			}
			switch {
			case f != nil:
				if !failedState(s.State) {
					s.State = "failed"
				}
				s.Failure = &Failure{Message: strings.TrimSpace(f.Text), NodeType: f.Type}
				if s.Failure.Message == "" {
					s.Failure.Message = f.Message
				}
				s.Namespaces = namespacesIn(f.Message + "\n" + f.Text)
			case c.Skipped != nil && s.State == "":
				s.State = "skipped"
			case s.State == "":
				s.State = "passed"
			}
			if s.Failed() {
				r.Succeeded = false
			}
			r.Specs = append(r.Specs, s)
		}
	}
	if !r.Start.IsZero() {
		r.End = r.Start.Add(r.Duration)
	}
	return nil
}

func seconds(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

// readJSONIfPresent decodes path into v; a missing file is not an error.
func readJSONIfPresent(path string, v any) (bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", filepath.Base(path), err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("decode %s: %w", filepath.Base(path), err)
	}
	return true, nil
}
