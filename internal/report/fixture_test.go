package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// The fixtures write report directories the way a run does: Ginkgo's JSON
// report (the fields and enum strings of github.com/onsi/ginkgo/v2/types),
// phases.json, resources.json, run.json and component logs.

var fixtureStart = time.Date(2026, 11, 29, 22, 0, 0, 0, time.UTC)

type fixtureSpec struct {
	Texts     []string
	Kind      string // default It
	State     string
	Proc      int
	Start     time.Duration // after fixtureStart
	Length    time.Duration
	Namespace string
	Message   string
}

type fixture struct {
	Specs       []fixtureSpec
	Interrupted bool
	Logs        map[string][]string
	NoExtras    bool
}

func writeFixture(t testing.TB, dir string, f fixture) {
	t.Helper()
	procs := 1
	var specs []map[string]any
	var end time.Time
	ok := !f.Interrupted
	for _, s := range f.Specs {
		kind := s.Kind
		if kind == "" {
			kind = "It"
		}
		procs = max(procs, s.Proc)
		start := fixtureStart.Add(s.Start)
		sr := map[string]any{
			"ContainerHierarchyTexts": s.Texts[:len(s.Texts)-1],
			"LeafNodeType":            kind,
			"LeafNodeText":            s.Texts[len(s.Texts)-1],
			"LeafNodeLabels":          []string{"NodeConformance"},
			"State":                   s.State,
			"StartTime":               start,
			"EndTime":                 start.Add(s.Length),
			"RunTime":                 s.Length,
			"ParallelProcess":         s.Proc,
			"Failure":                 map[string]any{},
		}
		if s.State == "skipped" && s.Length == 0 {
			sr["StartTime"], sr["EndTime"] = time.Time{}, time.Time{}
		}
		if s.Namespace != "" {
			sr["ReportEntries"] = []map[string]any{{
				"Name": NamespaceEntry, "Visibility": 2,
				"Value": map[string]any{"AsJSON": `"` + s.Namespace + `"`, "Representation": s.Namespace},
			}}
		}
		if failedState(s.State) {
			ok = false
			sr["Failure"] = map[string]any{
				"Message":          s.Message,
				"Location":         map[string]any{"FileName": "/src/e2e_node/pods_test.go", "LineNumber": 42},
				"TimelineLocation": map[string]any{"Time": start.Add(s.Length - 100*time.Millisecond)},
				"FailureNodeType":  kind,
			}
		}
		if e := start.Add(s.Length); e.After(end) {
			end = e
		}
		specs = append(specs, sr)
	}
	report := map[string]any{
		"SuitePath": "/src/e2e_node", "SuiteDescription": "Node e2e suite", "SuiteSucceeded": ok,
		"SpecialSuiteFailureReasons": []string{},
		"StartTime":                  fixtureStart, "EndTime": end, "RunTime": end.Sub(fixtureStart),
		"SuiteConfig": map[string]any{"ParallelTotal": procs, "FocusStrings": []string{"Pods"}},
		"SpecReports": specs,
	}
	if f.Interrupted {
		report["SpecialSuiteFailureReasons"] = []string{"Interrupted by User"}
	}
	mustWriteJSON(t, filepath.Join(dir, GinkgoJSONFile), []any{report})
	if !f.NoExtras {
		mustWriteJSON(t, filepath.Join(dir, PhasesFile), []Phase{
			{Name: "run dir and credentials", Duration: 80 * time.Millisecond},
			{Name: "etcd ready", Duration: 500 * time.Millisecond, Parent: "control plane and image registry ready"},
			{Name: "apiserver ready", Duration: 2 * time.Second, Parent: "control plane and image registry ready"},
			{Name: "control plane and image registry ready", Duration: 4200 * time.Millisecond},
			{Name: "node ready", Duration: 2900 * time.Millisecond},
			{Name: "teardown: stop kubelet", Duration: 700 * time.Millisecond},
			{Name: "teardown: stop control plane", Duration: 300 * time.Millisecond},
			{Name: "teardown", Duration: 1100 * time.Millisecond},
		})
		res := Resources{Interval: 500 * time.Millisecond, Processes: []string{"kubelet", "containerd"}}
		for ts := time.Duration(0); !fixtureStart.Add(ts).After(end); ts += 500 * time.Millisecond {
			i := int(ts / (500 * time.Millisecond))
			res.Samples = append(res.Samples, Sample{
				Time: fixtureStart.Add(ts),
				CPU:  map[string]float64{"kubelet": float64(i % 40), "containerd": float64(i % 7)},
				RSS:  map[string]int64{"kubelet": int64(60+i%10) << 20, "containerd": 40 << 20},
				Pods: i % 5,
			})
		}
		mustWriteJSON(t, filepath.Join(dir, ResourcesFile), res)
		mustWriteJSON(t, filepath.Join(dir, RunFile), RunInfo{
			RunID: "20261129-220000-abcdef", NodeName: "node-1", KubeletVersion: "v1.37.2",
			RuntimeVersion: "containerd://1.7.24", CgroupDriver: "cgroupfs", CgroupVersion: "v1",
			Launcher: "direct", Command: "ginkgo --procs=2 --focus=Pods e2e_node.test -- --report-dir=/tmp/r",
		})
	}
	for name, lines := range f.Logs {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func mustWriteJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// klogLine is a kubelet log line at offset d into the run.
func klogLine(d time.Duration, msg string) string {
	t := fixtureStart.Add(d)
	return fmt.Sprintf("I%s    4242 kubelet.go:100] %s", t.Format("0102 15:04:05.000000"), msg)
}

// containerdLine is a containerd log line at offset d.
func containerdLine(d time.Duration, msg string) string {
	return fmt.Sprintf("time=%q level=info msg=%q", fixtureStart.Add(d).Format(time.RFC3339Nano), msg)
}

// passFixture: five specs on two processes, all passing.
func passFixture() fixture {
	return fixture{Specs: []fixtureSpec{
		{Texts: []string{"SynchronizedBeforeSuite"}, Kind: "SynchronizedBeforeSuite", State: "passed", Proc: 1, Length: 8 * time.Second},
		{Texts: []string{"SynchronizedBeforeSuite"}, Kind: "SynchronizedBeforeSuite", State: "passed", Proc: 2, Length: 8 * time.Second},
		{Texts: []string{"Pods", "runs a pod to completion"}, State: "passed", Proc: 1, Start: 8 * time.Second, Length: 3 * time.Second},
		{Texts: []string{"Pods", "execs in a pod"}, State: "passed", Proc: 2, Start: 8 * time.Second, Length: 4 * time.Second},
		{Texts: []string{"Pods", "deletes a pod"}, State: "passed", Proc: 1, Start: 11 * time.Second, Length: 2 * time.Second},
		{Texts: []string{"Probes", "restarts on liveness failure"}, State: "passed", Proc: 2, Start: 12 * time.Second, Length: 5 * time.Second},
		{Texts: []string{"Volumes", "filtered out"}, State: "skipped", Proc: 1},
	}, Logs: map[string][]string{"kubelet.log": {klogLine(time.Second, "Starting kubelet")}}}
}

// failureFixture: one spec fails; the logs name its namespace.
func failureFixture() fixture {
	f := passFixture()
	f.Specs[4] = fixtureSpec{Texts: []string{"Pods", "deletes a pod"}, State: "failed", Proc: 1, Start: 11 * time.Second, Length: 2 * time.Second,
		Namespace: "e2e-pods-x7k2q", Message: "pod e2e-pods-x7k2q/victim never became Succeeded; last status: phase=Pending"}
	var kubelet []string
	for i := 0; i < 60; i++ {
		kubelet = append(kubelet, klogLine(time.Duration(i)*250*time.Millisecond, fmt.Sprintf("housekeeping tick %d", i)))
	}
	kubelet[46] = klogLine(11500*time.Millisecond, `"SyncPod enter" pod="e2e-pods-x7k2q/victim"`)
	kubelet[5] = klogLine(1250*time.Millisecond, `unrelated pod="e2e-other-bbbbb/p"`)
	f.Logs = map[string][]string{
		"kubelet.log": kubelet,
		"containerd.log": {
			containerdLine(11*time.Second, "RunPodSandbox for &PodSandboxMetadata{Name:victim,Namespace:e2e-pods-x7k2q,}"),
			containerdLine(12*time.Second, "ImageCreate event"),
			containerdLine(20*time.Second, "late line"),
		},
		"services.log": {klogLine(12*time.Second, `"HTTP" verb="GET" URI="/api/v1/namespaces/e2e-pods-x7k2q/pods/victim"`)},
	}
	return f
}

// interruptedFixture: Ctrl-C during the second spec; the rest skipped.
func interruptedFixture() fixture {
	f := passFixture()
	f.Interrupted = true
	f.Specs[3].State, f.Specs[3].Message = "interrupted", "interrupted by user"
	f.Specs[5].State, f.Specs[5].Length = "skipped", 0
	f.Logs["fault.txt"] = []string{"kubelet (pid 4242) exited: signal: killed", "last lines of kubelet.log:", "I1129 22:00:09 ..."}
	return f
}

// manyFixture: n specs over procs processes, every tenth failing.
func manyFixture(n, procs int) fixture {
	f := fixture{Logs: map[string][]string{}}
	next := make([]time.Duration, procs)
	var kubelet, containerd []string
	for p := 1; p <= procs; p++ {
		f.Specs = append(f.Specs, fixtureSpec{Texts: []string{"SynchronizedBeforeSuite"}, Kind: "SynchronizedBeforeSuite", State: "passed", Proc: p, Length: 6 * time.Second})
		next[p-1] = 6 * time.Second
	}
	for i := 0; i < n; i++ {
		p := i%procs + 1
		length := time.Duration(300+(i*7919)%5000) * time.Millisecond
		s := fixtureSpec{Texts: []string{fmt.Sprintf("Family %d", i/10), fmt.Sprintf("spec number %d does its thing", i)},
			State: "passed", Proc: p, Start: next[p-1], Length: length}
		ns := fmt.Sprintf("e2e-family-%d-%s", i, suffix(i))
		s.Namespace = ns
		for k := time.Duration(0); k < length; k += 400 * time.Millisecond {
			kubelet = append(kubelet, klogLine(s.Start+k, fmt.Sprintf(`"SyncPod" pod="%s/pod-%d"`, ns, i)))
			containerd = append(containerd, containerdLine(s.Start+k, "event for "+ns))
		}
		if i%10 == 9 {
			s.State, s.Message = "failed", fmt.Sprintf("spec %d: expected pod %s/pod-%d to be Running", i, ns, i)
		}
		next[p-1] += length + 50*time.Millisecond
		f.Specs = append(f.Specs, s)
	}
	sort.Strings(kubelet) // one month: klog lines sort by time
	sort.Strings(containerd)
	f.Logs["kubelet.log"] = kubelet
	f.Logs["containerd.log"] = containerd
	return f
}

// suffix is a 5-character namespace suffix of generateName's alphabet.
func suffix(i int) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, 5)
	for k := range b {
		b[k] = alphabet[(i/(k+1)+k*7)%len(alphabet)]
	}
	return string(b)
}
