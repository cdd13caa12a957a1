package junit

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// report builds a Ginkgo-shaped JUnit report around the given testcases.
func report(succeeded string, cases ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
  <testsuites tests="1" disabled="0" errors="0" failures="0" time="1">
      <testsuite name="Node e2e suite" package="/ws" tests="1" skipped="0" errors="0" failures="0">
          <properties>
              <property name="SuiteSucceeded" value="` + succeeded + `"></property>
              <property name="FocusStrings" value="is Ready"></property>
          </properties>
` + strings.Join(cases, "\n") + `
      </testsuite>
  </testsuites>`
}

const (
	beforeSuite = `<testcase name="[SynchronizedBeforeSuite]" classname="Node e2e suite" status="passed" time="5.3"><system-out>node up</system-out></testcase>`
	afterSuite  = `<testcase name="[SynchronizedAfterSuite]" classname="Node e2e suite" status="passed" time="1.2"></testcase>`
	legacyNode  = `<testcase name="" classname="Node e2e suite" status="passed" time="0.1"></testcase>`
	passed      = `<testcase name="[It] Node is Ready and reports CPU, memory and pods capacity [NodeConformance]" classname="Node e2e suite" status="passed" time="0.004"></testcase>`
	skipped     = `<testcase name="[It] Pods runs a pod [NodeConformance]" classname="Node e2e suite" status="skipped" time="0"><skipped message="skipped"></skipped></testcase>`
	failedSpec  = `<testcase name="[It] Pods deletes a pod [NodeConformance]" classname="Node e2e suite" status="failed" time="3"><failure message="boom" type="failed">boom</failure></testcase>`
	timedOut    = `<testcase name="[It] Probes restarts [NodeConformance]" classname="Node e2e suite" status="timedout" time="30"><failure message="timeout" type="timedout"></failure></testcase>`
	failedSuite = `<testcase name="[SynchronizedBeforeSuite]" classname="Node e2e suite" status="failed" time="4.8"><failure message="node startup failed" type="failed"></failure></testcase>`
	legacySpec  = `<testcase name="Pods runs a pod [NodeConformance]" classname="Node e2e suite" status="passed" time="8"></testcase>`
)

func TestAdd(t *testing.T) {
	for _, tc := range []struct {
		name   string
		report string
		want   Counts
		ok     bool
	}{{
		name:   "one spec passed, rest skipped",
		report: report("true", beforeSuite, passed, skipped, skipped, afterSuite),
		want:   Counts{Passed: 1, Skipped: 2},
		ok:     true,
	}, {
		name:   "a failed and a timed-out spec",
		report: report("false", beforeSuite, passed, failedSpec, timedOut, afterSuite),
		want: Counts{Passed: 1, Failed: 2, SuiteFailed: true,
			Failures: []string{"Pods deletes a pod [NodeConformance]", "Probes restarts [NodeConformance]"}},
	}, {
		name:   "before suite failed, all skipped",
		report: report("false", failedSuite, skipped, skipped, afterSuite),
		want:   Counts{Skipped: 2, SuiteFailures: 1, SuiteFailed: true, Failures: []string{"[SynchronizedBeforeSuite]"}},
	}, {
		name:   "suite reported failure without a failed case",
		report: report("false", beforeSuite, passed),
		want:   Counts{Passed: 1, SuiteFailed: true},
	}, {
		name:   "older Ginkgo: unnamed suite nodes, specs without [It]",
		report: report("true", legacyNode, legacySpec, legacyNode),
		want:   Counts{Passed: 1},
		ok:     true,
	}, {
		name:   "no specs at all",
		report: report("true", beforeSuite, afterSuite),
		want:   Counts{},
		ok:     true,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var c Counts
			if err := c.Add([]byte(tc.report)); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c, tc.want) {
				t.Errorf("counts = %+v, want %+v", c, tc.want)
			}
			if c.OK() != tc.ok {
				t.Errorf("OK() = %v, want %v", c.OK(), tc.ok)
			}
		})
	}
}

func TestReadDir(t *testing.T) {
	write := func(t *testing.T, dir, name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("pass, two reports summed", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, "junit_01.xml", report("true", beforeSuite, passed, skipped))
		write(t, dir, "junit_02.xml", report("true", legacySpec))
		write(t, dir, "kubelet.log", "not a report")
		c, err := ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if c.Passed != 2 || c.Skipped != 1 || !c.OK() || len(c.Files) != 2 {
			t.Errorf("counts = %+v", c)
		}
	})
	t.Run("fail", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, "junit_01.xml", report("false", failedSpec))
		c, err := ReadDir(dir)
		if err != nil || c.OK() || c.Failed != 1 {
			t.Errorf("counts = %+v, err = %v", c, err)
		}
	})
	for _, tc := range []struct {
		name, wantErr string
		setup         func(t *testing.T, dir string)
	}{
		{"missing", "no JUnit report (junit*.xml) in", func(t *testing.T, dir string) {}},
		{"missing directory", "no JUnit report", func(t *testing.T, dir string) { os.Remove(dir) }},
		{"empty file", "unreadable JUnit report", func(t *testing.T, dir string) { write(t, dir, "junit_01.xml", "") }},
		{"truncated", "unreadable JUnit report", func(t *testing.T, dir string) {
			r := report("true", passed)
			write(t, dir, "junit_01.xml", r[:len(r)/2])
		}},
		{"not junit", "unreadable JUnit report", func(t *testing.T, dir string) { write(t, dir, "junit_01.xml", "<html></html>") }},
		{"no testsuite", "no testsuite element", func(t *testing.T, dir string) { write(t, dir, "junit_01.xml", "<testsuites></testsuites>") }},
		{"unreadable", "unreadable JUnit report", func(t *testing.T, dir string) { os.Mkdir(filepath.Join(dir, "junit_01.xml"), 0o755) }},
		{"one good one bad", "junit_02.xml", func(t *testing.T, dir string) {
			write(t, dir, "junit_01.xml", report("true", passed))
			write(t, dir, "junit_02.xml", "garbage")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(t, dir)
			_, err := ReadDir(dir)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestRealReport parses a report the suite wrote (make test-e2e-node
// FOCUS=Pods PARALLELISM=2): 3 specs passed, 61 skipped, and two of each
// synchronized suite node, one per Ginkgo process.
func TestRealReport(t *testing.T) {
	c, err := ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	if c.Passed != 3 || c.Skipped != 61 || c.Failed != 0 || !c.OK() {
		t.Errorf("counts = %+v", c)
	}
}
