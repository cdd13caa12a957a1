package bench

import (
	"testing"
	"time"
)

const (
	klogInfo  = `I1130 01:37:41.912951   14880 secure_serving.go:264] Stopped listening on 127.0.0.1:43207`
	klogWarn  = `W1130 01:37:34.483216   14880 genericapiserver.go:798] Skipping API authentication.k8s.io/v1beta1 because it has no resources.`
	klogError = `E1130 01:37:33.299341   14880 options.go:205] The manifest file is empty, ignoring.`
	etcdError = `{"level":"error","ts":"2026-11-30T01:37:42.984675Z","caller":"embed/etcd.go:908","msg":"setting up serving from embedded etcd failed.","error":"http: Server closed"}`
	etcdWarn  = `{"level":"warn","ts":"2026-11-30T01:37:42.984811Z","caller":"embed/serve.go:253","msg":"stopping secure grpc server due to error"}`
	etcdInfo  = `{"level":"info","ts":"2026-11-30T01:37:42.9Z","msg":"closed etcd server"}`
	ctrdWarn  = `time="2026-11-30T01:37:42.100000000Z" level=warning msg="cleanup warnings"`
	ctrdError = `time="2026-11-30T01:37:42.200000000Z" level=error msg="failed to delete"`
	ctrdInfo  = `time="2026-11-30T01:37:42.300000000Z" level=info msg="Stop CRI plugin"`
)

func TestLineLevel(t *testing.T) {
	for _, tc := range []struct {
		line string
		want Level
	}{
		{klogInfo, Other},
		{klogWarn, Warning},
		{klogError, Error},
		{"  " + klogWarn, Warning},
		{"F1130 01:37:33.299341   14880 x.go:1] boom", Error},
		{etcdError, Error},
		{etcdWarn, Warning},
		{etcdInfo, Other},
		{ctrdWarn, Warning},
		{ctrdError, Error},
		{ctrdInfo, Other},
		{"panic: runtime error: invalid memory address", Error},
		{"Warning: something in prose", Other},
		{"an Error in prose is not a level", Other},
		{`msg="level=error inside a message" level=info`, Other},
		{"", Other},
		{"{not json", Other},
	} {
		if got := LineLevel(tc.line); got != tc.want {
			t.Errorf("LineLevel(%q) = %v, want %v", tc.line, got, tc.want)
		}
	}
}

func TestLineTime(t *testing.T) {
	for _, tc := range []struct {
		line string
		want time.Time
		ok   bool
	}{
		{klogWarn, time.Date(2026, 11, 30, 1, 37, 34, 483216000, time.UTC), true},
		{"  " + klogWarn, time.Date(2026, 11, 30, 1, 37, 34, 483216000, time.UTC), true},
		{etcdError, time.Date(2026, 11, 30, 1, 37, 42, 984675000, time.UTC), true},
		{ctrdWarn, time.Date(2026, 11, 30, 1, 37, 42, 100000000, time.UTC), true},
		{`{"level":"warn","ts":1795995462.5}`, time.Unix(1795995462, 500000000), true},
		{"no time here", time.Time{}, false},
	} {
		got, ok := LineTime(tc.line, 2026, time.UTC)
		if ok != tc.ok || !got.Equal(tc.want) {
			t.Errorf("LineTime(%q) = %v, %v; want %v, %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
}

func TestCountIssues(t *testing.T) {
	lines := []string{klogInfo, klogWarn, klogError, etcdError, etcdWarn, etcdInfo, ctrdWarn, ctrdError, ctrdInfo}
	w, e := CountIssues(lines)
	if w != 3 || e != 3 {
		t.Errorf("CountIssues = %d warnings, %d errors; want 3, 3", w, e)
	}
	// Only the lines timed inside the window count.
	from := time.Date(2026, 11, 30, 1, 37, 42, 150000000, time.UTC)
	to := time.Date(2026, 11, 30, 1, 37, 42, 984700000, time.UTC)
	w, e = CountIssuesBetween(lines, from, to, time.UTC)
	if w != 0 || e != 2 {
		t.Errorf("CountIssuesBetween = %d warnings, %d errors; want 0, 2 (ctrdError, etcdError)", w, e)
	}
	to = to.Add(time.Millisecond)
	if w, e = CountIssuesBetween(lines, from, to, time.UTC); w != 1 || e != 2 {
		t.Errorf("CountIssuesBetween (wider) = %d, %d; want 1, 2", w, e)
	}
}
