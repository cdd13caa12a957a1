package hostrun

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestProgressStep(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, "a-long-host-name", "b")
	p.now = func() time.Time { return time.Date(2026, 1, 2, 18, 2, 11, 0, time.UTC) }
	p.Step("b", "copy", "ok", 2100*time.Millisecond, "91.0 MB")
	p.Step("a-long-host-name", "suite", "started", 0, "")
	p.Step("b", "specs", "3/64", 0, "1 failed")
	want := "" +
		"18:02:11 b                copy      ok          2.1s  91.0 MB\n" +
		"18:02:11 a-long-host-name suite     started\n" +
		"18:02:11 b                specs     3/64              1 failed\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
	var nilProgress *Progress
	nilProgress.Step("x", "y", "ok", 0, "") // must not panic
}

func TestFormatDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{400 * time.Millisecond, "0.4s"}, {12340 * time.Millisecond, "12.3s"}, {245 * time.Second, "4m05s"},
		{62 * time.Minute, "1h02m"}, {0, "0.0s"},
	} {
		if got := FormatDuration(tc.d); got != tc.want {
			t.Errorf("FormatDuration(%s) = %q, want %q", tc.d, got, tc.want)
		}
	}
	if got := FormatSize(95_420_000); got != "91.0 MB" {
		t.Errorf("FormatSize = %q", got)
	}
}

// ginkgoOutput is what Ginkgo -v prints for a run of three specs, one of
// which fails and one is skipped at run time.
const ginkgoOutput = `Running Suite: Node e2e suite - /tmp/node-e2e.x
===============================================
Random Seed: 1795621082

Will run 3 of 68 specs
------------------------------
[SynchronizedBeforeSuite] PASSED [6.078 seconds]
------------------------------
Node is Ready and reports CPU, memory and pods capacity [NodeConformance]
github.com/node-e2e/harness/e2e_node/node_test.go:15
• [0.004 seconds]
------------------------------
Pods deletes a pod [NodeConformance]
  [FAILED] boom
• [FAILED] [3.000 seconds]
------------------------------
S [SKIPPED] [0.001 seconds]
QoS reads cgroups [NodeConformance]
------------------------------
[SynchronizedAfterSuite] PASSED [1.246 seconds]

Ran 2 of 68 Specs in 12.3 seconds
FAIL! -- 1 Passed | 1 Failed | 0 Pending | 66 Skipped
`

func TestSpecCounter(t *testing.T) {
	var c SpecCounter
	var progress []string
	lw := &lineWriter{w: &bytes.Buffer{}, fn: func(l string) {
		if c.Line(l) {
			progress = append(progress, fmt.Sprintf("%d/%d/%d", c.Done, c.Total, c.Failed))
		}
	}}
	// Feed in odd-sized chunks, as a pipe would.
	for rest := ginkgoOutput; rest != ""; {
		n := min(7, len(rest))
		lw.Write([]byte(rest[:n]))
		rest = rest[n:]
	}
	if want := []string{"1/3/0", "2/3/1", "3/3/1"}; strings.Join(progress, " ") != strings.Join(want, " ") {
		t.Errorf("progress = %q, want %q", progress, want)
	}
}
