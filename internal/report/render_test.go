package report

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRenderPassingRun(t *testing.T) {
	_, d, _ := renderDir(t, passFixture())
	assertSelfContained(t, d)
	sum := d.byID(t, "summary")
	if !hasClass(sum, "status-passed") {
		t.Errorf("summary class %q, want status-passed", attr(sum, "class"))
	}
	mustContain(t, "summary", text(sum), "passed", "4 passed", "0 failed", "1 skipped", "of 5 specs",
		"node-1", "v1.37.2", "containerd://1.7.24", "cgroupfs driver", "cgroup v1", "direct")
	if got := text(d.byID(t, "command")); got != "ginkgo --procs=2 --focus=Pods e2e_node.test -- --report-dir=/tmp/r" {
		t.Errorf("command = %q", got)
	}
	// Steps are listed under their phase and left out of the totals.
	var rows []string
	for _, r := range all(d.byID(t, "phases"), "tr", "phase") {
		name := text(all(r, "th")[0])
		if hasClass(r, "sub") {
			name = "  " + name
		}
		rows = append(rows, name)
	}
	want := []string{"run dir and credentials", "control plane and image registry ready", "  etcd ready", "  apiserver ready", "node ready",
		"teardown", "  teardown: stop kubelet", "  teardown: stop control plane"}
	if strings.Join(rows, "|") != strings.Join(want, "|") {
		t.Errorf("phase rows:\n got %q\nwant %q", rows, want)
	}
	mustContain(t, "phases", text(d.byID(t, "phases")), "startup (7.18s)", "teardown (1.1s)")

	tl := d.byID(t, "timeline")
	if lanes := all(tl, "rect", "lane"); len(lanes) != 2 {
		t.Errorf("timeline: %d lanes, want 2", len(lanes))
	}
	specs := all(tl, "rect", "spec")
	wantLane := map[string]string{"Pods runs a pod to completion": "1", "Pods execs in a pod": "2", "Pods deletes a pod": "1", "Probes restarts on liveness failure": "2"}
	if len(specs) != len(wantLane) {
		t.Errorf("timeline: %d spec bars, want %d (the filtered-out spec gets none)", len(specs), len(wantLane))
	}
	for _, b := range specs {
		name := attr(b, "data-name")
		if lane, ok := wantLane[name]; !ok || attr(b, "data-lane") != lane {
			t.Errorf("bar %q in lane %s, want lane %q", name, attr(b, "data-lane"), lane)
		}
		if !hasClass(b, "st-passed") {
			t.Errorf("bar %q: class %q, want st-passed", name, attr(b, "class"))
		}
		if titles := all(b, "title"); len(titles) != 1 || !strings.Contains(text(titles[0]), name) {
			t.Errorf("bar %q has no hover title naming it", name)
		}
	}
	if n := len(all(tl, "rect", "suite-node")); n != 2 {
		t.Errorf("timeline: %d suite-node bars, want 2", n)
	}

	res := d.byID(t, "resources")
	charts := all(res, "div", "chart")
	if len(charts) != 5 {
		t.Fatalf("resources: %d charts, want 5 (kubelet and containerd CPU and RSS, pods)", len(charts))
	}
	mustContain(t, "resources", text(res), "kubelet CPU", "kubelet RSS", "containerd CPU", "containerd RSS", "pods on the node", "peak 34% of a core", "peak 69 MiB")
	for _, c := range charts {
		pl := all(c, "polyline")
		if len(pl) != 1 || strings.Count(attr(pl[0], "points"), ",") < 30 {
			t.Errorf("chart %q: want a polyline of the samples", text(c))
		}
	}
	mustContain(t, "failures", text(d.byID(t, "failures")), "No failures")
	for _, n := range all(d.root, "pre") {
		if attr(n, "id") == "fault" {
			t.Error("a run without fault.txt shows a fault")
		}
	}
	if links := all(d.byID(t, "logs"), "a"); len(links) != 1 || attr(links[0], "href") != "kubelet.log" {
		t.Errorf("logs section: want one link to kubelet.log, got %d", len(links))
	}
}

func TestRenderFailedSpec(t *testing.T) {
	_, d, _ := renderDir(t, failureFixture())
	assertSelfContained(t, d)
	mustContain(t, "summary", text(d.byID(t, "summary")), "failed", "3 passed", "1 failed")

	var failedBar string
	for _, b := range all(d.byID(t, "timeline"), "rect", "spec") {
		if hasClass(b, "st-failed") {
			failedBar = attr(b, "data-failure")
		}
	}
	if failedBar == "" {
		t.Fatal("timeline: no failed bar pointing at its failure")
	}
	f := d.byID(t, failedBar)
	if f.Data != "details" || !hasClass(f, "failure") {
		t.Fatalf("bar points at <%s class=%q>, want the failure's <details>", f.Data, attr(f, "class"))
	}
	mustContain(t, "failure", text(f), "Pods deletes a pod", "never became Succeeded", "/src/e2e_node/pods_test.go:42", "e2e-pods-x7k2q")

	excerpts := all(f, "div", "excerpt")
	logs := map[string]string{}
	for _, e := range excerpts {
		log := attr(e, "data-log")
		logs[log] = text(e)
		links := all(e, "a")
		if len(links) != 1 || attr(links[0], "href") != log {
			t.Errorf("excerpt of %s does not link the full log", log)
		}
	}
	if len(logs) != 3 {
		t.Fatalf("excerpts from %d logs, want kubelet, containerd, services: %v", len(logs), logs)
	}
	// The kubelet's line naming the namespace, marked, with its line number.
	var matched []string
	for _, l := range all(f, "span", "match") {
		matched = append(matched, text(l))
	}
	if !strings.Contains(strings.Join(matched, "\n"), `47 I1129 22:00:11.500000 4242 kubelet.go:100] "SyncPod enter" pod="e2e-pods-x7k2q/victim"`) {
		t.Errorf("matched lines %q lack the kubelet's line 47 naming the namespace", matched)
	}
	// The window around the failure (12.9s): ticks at 12.75 s and 13 s.
	mustContain(t, "kubelet excerpt", logs["kubelet.log"], "22:00:12.750000", "22:00:13.000000", "housekeeping tick 52")
	if strings.Contains(logs["kubelet.log"], "e2e-other-bbbbb") || strings.Contains(logs["kubelet.log"], "tick 10 ") {
		t.Errorf("kubelet excerpt holds lines far from the failure that name another namespace: %s", logs["kubelet.log"])
	}
	mustContain(t, "containerd excerpt", logs["containerd.log"], "Namespace:e2e-pods-x7k2q", "ImageCreate event")
	if strings.Contains(logs["containerd.log"], "late line") {
		t.Errorf("containerd excerpt has a line 7 s after the failure: %s", logs["containerd.log"])
	}
	mustContain(t, "services excerpt", logs["services.log"], "/api/v1/namespaces/e2e-pods-x7k2q/pods/victim")
}

func TestRenderInterruptedRun(t *testing.T) {
	_, d, _ := renderDir(t, interruptedFixture())
	sum := d.byID(t, "summary")
	if !hasClass(sum, "status-interrupted") {
		t.Errorf("summary class %q, want status-interrupted", attr(sum, "class"))
	}
	mustContain(t, "summary", text(sum), "interrupted", "Interrupted by User", "1 failed", "2 skipped")
	mustContain(t, "fault", text(d.byID(t, "fault")), "kubelet (pid 4242) exited: signal: killed")
	var interrupted int
	for _, b := range all(d.byID(t, "timeline"), "rect", "spec") {
		if hasClass(b, "st-interrupted") {
			interrupted++
		}
	}
	if interrupted != 1 {
		t.Errorf("%d interrupted bars, want 1", interrupted)
	}
	if n := len(all(d.byID(t, "failures"), "details", "failure")); n != 1 {
		t.Errorf("%d failures listed, want the interrupted spec", n)
	}
}

func TestRenderJUnitOnly(t *testing.T) {
	dir := t.TempDir()
	junit := `<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="3" failures="1">
  <testsuite name="Node e2e suite" tests="3" failures="1" time="42.5" timestamp="2026-11-20T10:00:00">
    <testcase name="[SynchronizedBeforeSuite]" classname="Node e2e suite" status="passed" time="8"></testcase>
    <testcase name="[It] Pods runs a pod [NodeConformance]" classname="Node e2e suite" status="passed" time="3.1"></testcase>
    <testcase name="[It] Pods deletes a pod [NodeConformance]" classname="Node e2e suite" status="failed" time="2">
      <failure message="pod e2e-pods-x7k2q/victim never went" type="failed">[FAILED] pod e2e-pods-x7k2q/victim never went</failure>
    </testcase>
    <testcase name="[It] Volumes skipped one" classname="Node e2e suite" status="skipped" time="0"><skipped message="skipped"></skipped></testcase>
  </testsuite>
</testsuites>`
	if err := os.WriteFile(filepath.Join(dir, "junit_01.xml"), []byte(junit), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(dir); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, PageFile))
	d := parsePage(t, b)
	mustContain(t, "summary", text(d.byID(t, "summary")), "1 passed", "1 failed", "1 skipped", "42.5s", "junit_01.xml", "JUnit only")
	mustContain(t, "timeline", text(d.byID(t, "timeline")), "No timeline", "no start times")
	f := all(d.byID(t, "failures"), "details", "failure")
	if len(f) != 1 {
		t.Fatalf("%d failures, want 1", len(f))
	}
	mustContain(t, "failure", text(f[0]), "Pods deletes a pod [NodeConformance]", "never went", "e2e-pods-x7k2q")
}

func TestLoadWithoutReport(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "kubelet.log"), []byte("x\n"), 0o644)
	_, err := Generate(dir)
	if !errors.Is(err, ErrNoReport) {
		t.Fatalf("Generate on a directory without a report: %v, want ErrNoReport", err)
	}
	if _, err := os.Stat(filepath.Join(dir, PageFile)); !os.IsNotExist(err) {
		t.Errorf("a page was written for a directory without a report")
	}
	if _, err := Generate(filepath.Join(dir, "missing")); err == nil || errors.Is(err, ErrNoReport) {
		t.Errorf("Generate on a missing directory: %v, want a not-exist error", err)
	}
}

func TestRenderBrokenExtrasBecomeNotes(t *testing.T) {
	dir := t.TempDir()
	writeFixture(t, dir, passFixture())
	os.WriteFile(filepath.Join(dir, ResourcesFile), []byte("{not json"), 0o644)
	_, err := Generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, PageFile))
	d := parsePage(t, b)
	mustContain(t, "notes", text(d.byID(t, "summary")), "decode resources.json")
	mustContain(t, "resources", text(d.byID(t, "resources")), "No resource samples")
}

func TestWriteIndex(t *testing.T) {
	results := t.TempDir()
	hostA, hostB, hostC := filepath.Join(results, "host-a"), filepath.Join(results, "host-b"), filepath.Join(results, "host-c")
	for _, h := range []string{hostA, hostB, hostC} {
		os.Mkdir(h, 0o755)
	}
	writeFixture(t, hostA, passFixture())
	if _, err := Generate(hostA); err != nil {
		t.Fatal(err)
	}
	writeFixture(t, hostB, failureFixture()) // no page yet: the index generates it
	path, err := WriteIndex(results, []Host{
		{Name: "host-a", Dir: hostA, Passed: true},
		{Name: "host-b", Dir: hostB, Reason: "1 spec failed"},
		{Name: "host-c", Dir: hostC, Reason: "ssh: connection refused"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(hostB, PageFile)); err != nil {
		t.Errorf("host-b's page was not generated: %v", err)
	}
	b, _ := os.ReadFile(path)
	d := parsePage(t, b)
	assertSelfContained(t, d)
	mustContain(t, "summary", text(d.byID(t, "summary")), "failed", "1 of 3 host(s) passed")
	rows := all(d.root, "tr", "host")
	if len(rows) != 3 {
		t.Fatalf("%d host rows, want 3", len(rows))
	}
	want := []struct{ host, link, text string }{
		{"host-a", "host-a/report.html", "PASS 4 0 1"},
		{"host-b", "host-b/report.html", "FAIL 3 1 1"},
		{"host-c", "", "no report came back"},
	}
	for i, w := range want {
		r := rows[i]
		if attr(r, "data-host") != w.host {
			t.Errorf("row %d is %q, want %q", i, attr(r, "data-host"), w.host)
		}
		mustContain(t, w.host, text(r), w.text)
		links := all(r, "a")
		switch {
		case w.link == "" && len(links) != 0:
			t.Errorf("%s: link %q to a page that does not exist", w.host, attr(links[0], "href"))
		case w.link != "" && (len(links) != 1 || attr(links[0], "href") != w.link):
			t.Errorf("%s: want a link to %s", w.host, w.link)
		}
	}
	if !strings.Contains(text(rows[2]), "ssh: connection refused") {
		t.Errorf("host-c row does not say why it failed: %s", text(rows[2]))
	}
}

func TestFullSuitePageSize(t *testing.T) {
	// Three times the suite's spec count, every tenth failing with log
	// excerpts: the page stays under 2 MB.
	_, _, b := renderDir(t, manyFixture(450, 2))
	if len(b) > 2<<20 {
		t.Errorf("page is %d bytes, want under 2 MB", len(b))
	}
	t.Logf("page for 450 specs (45 failed): %d KiB", len(b)>>10)
}
