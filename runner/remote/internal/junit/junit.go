package junit

import (
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Pattern matches the report files in a report directory.
const Pattern = "junit*.xml"

// Counts summarises one or more reports.
type Counts struct {
	// Passed, Failed and Skipped count specs (It nodes).
	Passed, Failed, Skipped int
	// SuiteFailures counts failed suite-level nodes (BeforeSuite,
	// AfterSuite, ReportAfterSuite and their synchronized forms).
	SuiteFailures int
	// SuiteFailed is set when a report's SuiteSucceeded property is false.
	SuiteFailed bool
	// Failures names the failed specs and suite nodes, in report order.
	Failures []string
	// Files are the reports read.
	Files []string
}

// OK reports whether the counts show no failure of any kind.
func (c Counts) OK() bool {
	return c.Failed == 0 && c.SuiteFailures == 0 && !c.SuiteFailed
}

type testsuites struct {
	XMLName xml.Name    `xml:"testsuites"`
	Suites  []testsuite `xml:"testsuite"`
}

type testsuite struct {
	Properties []property `xml:"properties>property"`
	Cases      []testcase `xml:"testcase"`
}

type property struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type testcase struct {
	Name    string    `xml:"name,attr"`
	Status  string    `xml:"status,attr"`
	Skipped *struct{} `xml:"skipped"`
	Failure *struct{} `xml:"failure"`
	Error   *struct{} `xml:"error"`
}

// suiteNode matches the names Ginkgo gives suite-level nodes; older
// versions leave some of them empty.
var suiteNode = regexp.MustCompile(`^\[(Synchronized)?(Before|After)Suite\]|^\[Report(Before|After)Suite\]|^\[DeferCleanup \(Suite\)\]`)

// ReadDir reads every report in dir. No report, or one that cannot be read
// or parsed, is an error: a host without a readable report has not shown
// that its specs passed.
func ReadDir(dir string) (Counts, error) {
	files, err := filepath.Glob(filepath.Join(dir, Pattern))
	if err != nil {
		return Counts{}, err
	}
	if len(files) == 0 {
		return Counts{}, fmt.Errorf("no JUnit report (%s) in %s", Pattern, dir)
	}
	sort.Strings(files)
	var c Counts
	var errs []error
	for _, f := range files {
		if err := c.addFile(f); err != nil {
			errs = append(errs, err)
		}
	}
	return c, errors.Join(errs...)
}

func (c *Counts) addFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("unreadable JUnit report: %w", err)
	}
	if err := c.Add(b); err != nil {
		return fmt.Errorf("unreadable JUnit report %s: %w", path, err)
	}
	c.Files = append(c.Files, path)
	return nil
}

// Add parses one report and adds its counts. A report must have a
// testsuites root holding at least one testsuite.
func (c *Counts) Add(report []byte) error {
	var ts testsuites
	if err := xml.Unmarshal(report, &ts); err != nil {
		return err
	}
	if len(ts.Suites) == 0 {
		return errors.New("no testsuite element")
	}
	for _, s := range ts.Suites {
		for _, p := range s.Properties {
			if p.Name == "SuiteSucceeded" && p.Value == "false" {
				c.SuiteFailed = true
			}
		}
		for _, tc := range s.Cases {
			suite := tc.Name == "" || suiteNode.MatchString(tc.Name)
			switch {
			case failed(tc):
				name := strings.TrimPrefix(tc.Name, "[It] ")
				if suite {
					c.SuiteFailures++
					if name == "" {
						name = "(suite node)"
					}
				} else {
					c.Failed++
				}
				c.Failures = append(c.Failures, name)
			case suite:
			case tc.Skipped != nil || tc.Status == "skipped" || tc.Status == "pending":
				c.Skipped++
			default:
				c.Passed++
			}
		}
	}
	return nil
}

func failed(tc testcase) bool {
	switch tc.Status {
	case "failed", "panicked", "interrupted", "timedout", "aborted":
		return true
	}
	return tc.Failure != nil || tc.Error != nil
}
