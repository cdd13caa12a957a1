package cluster

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// tarEntry is one entry of a test tarball.
type tarEntry struct {
	name, body, link string
	typ              byte
}

// makeTarball writes entries as a tar.gz and returns its bytes.
func makeTarball(t *testing.T, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: e.typ, Linkname: e.link}
		if e.typ == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func junitXML(t *testing.T, passed, failed, skipped int) string {
	t.Helper()
	b, err := os.ReadFile(junitFile(t, passed, failed, skipped))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// goodReport is a passing report of 3 passed and 77 skipped specs.
func goodReport(t *testing.T) []byte {
	return makeTarball(t, tarEntry{name: "./", typ: tar.TypeDir}, tarEntry{name: "./junit_01.xml", body: junitXML(t, 3, 0, 77)},
		tarEntry{name: "./ginkgo.log", body: "Ran 3 of 80 Specs\n"}, tarEntry{name: "./logs/", typ: tar.TypeDir},
		tarEntry{name: "./logs/kubelet.log", body: "kubelet\n"})
}

// summaryOf is the termination message the entrypoint would write for
// tarball b with these counts.
func summaryOf(b []byte, exit, passed, failed, skipped int) string {
	d := sha256.Sum256(b)
	return fmt.Sprintf(`{"exit":%d,"sha256":"%s","bytes":%d,"ran":%d,"specs":%d,"passed":%d,"failed":%d,"flaked":0,"pending":0,"skipped":%d}`+"\n",
		exit, hex.EncodeToString(d[:]), len(b), passed+failed, passed+failed+skipped, passed, failed, skipped)
}

// endedPod is a suite pod ended in phase, its container with exit and
// termination message msg.
func endedPod(phase corev1.PodPhase, exit int32, msg string) *corev1.Pod {
	start := metav1.NewTime(time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC))
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "suite-node-a-0-abcde", Namespace: "node-e2e-r20261130a", CreationTimestamp: start,
			Labels: memberLabels("r20261130a", Member{Node: "node-a"})},
		Status: corev1.PodStatus{Phase: phase, ContainerStatuses: []corev1.ContainerStatus{{Name: "suite",
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: exit, Message: msg,
				StartedAt: start, FinishedAt: metav1.NewTime(start.Add(90 * time.Second))}}}}},
	}
}

func writeTemp(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "report.tar.gz")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestVerify(t *testing.T) {
	good := goodReport(t)
	evil := func(e tarEntry) []byte {
		return makeTarball(t, tarEntry{name: "./junit_01.xml", body: junitXML(t, 3, 0, 77)}, e)
	}
	tampered := append([]byte{}, good...)
	tampered[len(tampered)/2] ^= 0xff
	for _, c := range []struct {
		name    string
		pod     *corev1.Pod
		tarball []byte // nil: not fetched
		want    []string
		kept    bool // the report is extracted
	}{
		{name: "pass", pod: endedPod(corev1.PodSucceeded, 0, summaryOf(good, 0, 3, 0, 77)), tarball: good, kept: true},
		{name: "truncated", pod: endedPod(corev1.PodSucceeded, 0, summaryOf(good, 0, 3, 0, 77)), tarball: good[:len(good)-10],
			want: []string{fmt.Sprintf("report truncated: %d of the %d bytes", len(good)-10, len(good))}},
		{name: "longer", pod: endedPod(corev1.PodSucceeded, 0, summaryOf(good, 0, 3, 0, 77)), tarball: append(append([]byte{}, good...), 0),
			want: []string{"report size differs"}},
		{name: "tampered", pod: endedPod(corev1.PodSucceeded, 0, summaryOf(good, 0, 3, 0, 77)), tarball: tampered,
			want: []string{"report tampered with: sha256 "}},
		{name: "missing tarball", pod: endedPod(corev1.PodSucceeded, 0, summaryOf(good, 0, 3, 0, 77)),
			want: []string{"report missing: node node-a has no /var/log/node-e2e/"}},
		{name: "missing JSON", pod: endedPod(corev1.PodSucceeded, 0, ""), tarball: good, kept: true,
			want: []string{"no summary from the pod (the entrypoint did not finish)"}},
		{name: "log tail instead of JSON", pod: endedPod(corev1.PodFailed, 2, "boom\npanic: runtime error"), tarball: nil,
			want: []string{"pod suite-node-a-0-abcde failed: container terminated: exit 2", `its termination message ends "panic: runtime error"`}},
		{name: "counts differ", pod: endedPod(corev1.PodSucceeded, 0, summaryOf(good, 0, 4, 0, 76)), tarball: good, kept: true,
			want: []string{"counts differ: JUnit 3 passed, 0 failed, 77 skipped; the pod's summary 4 passed, 0 failed, 76 skipped or pending"}},
		{name: "failed JUnit", pod: endedPod(corev1.PodSucceeded, 0, ""), kept: true, want: []string{"JUnit: 1 failed: fails 0"},
			tarball: makeTarball(t, tarEntry{name: "./junit_01.xml", body: junitXML(t, 3, 1, 76)})},
		{name: "no JUnit", pod: endedPod(corev1.PodSucceeded, 0, ""), kept: true, want: []string{"JUnit: no JUnit report"},
			tarball: makeTarball(t, tarEntry{name: "./ginkgo.log", body: "x"})},
		{name: "path escape", pod: endedPod(corev1.PodSucceeded, 0, ""), want: []string{`report refused: entry "../../etc/evil": points outside`},
			tarball: evil(tarEntry{name: "../../etc/evil", body: "x"})},
		{name: "absolute path", pod: endedPod(corev1.PodSucceeded, 0, ""), want: []string{"report refused", "points outside"},
			tarball: evil(tarEntry{name: "/etc/evil", body: "x"})},
		{name: "symlink out", pod: endedPod(corev1.PodSucceeded, 0, ""), want: []string{`a link to "/etc", outside the results directory`},
			tarball: evil(tarEntry{name: "./etc", typ: tar.TypeSymlink, link: "/etc"})},
		{name: "suite failed", pod: endedPod(corev1.PodFailed, 1, ""), want: []string{"pod suite-node-a-0-abcde failed", "the suite exited 1", "JUnit: 1 failed"},
			kept: true, tarball: makeTarball(t, tarEntry{name: "./junit_01.xml", body: junitXML(t, 2, 1, 77)})},
		{name: "no pod", tarball: good, kept: true, want: []string{"no suite pod left (deleted before collection)"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			// Summaries built from the tarball itself (the empty ones above).
			if c.pod != nil && c.pod.Status.ContainerStatuses[0].State.Terminated.Message == "" && c.name != "missing JSON" {
				ts := c.pod.Status.ContainerStatuses[0].State.Terminated
				ts.Message = summaryOf(c.tarball, int(ts.ExitCode), 3, 0, 77)
				if c.name == "failed JUnit" || c.name == "suite failed" {
					ts.Message = summaryOf(c.tarball, int(ts.ExitCode), 2+boolInt(c.name == "failed JUnit"), 1, 77-boolInt(c.name == "failed JUnit"))
				}
			}
			e := Evidence{Run: testRun(), Member: Member{Node: "node-a"}, Pod: c.pod, Dir: filepath.Join(t.TempDir(), "node-a")}
			if c.tarball != nil {
				e.Tarball = writeTemp(t, c.tarball)
			} else {
				e.FetchErr = errors.New("node node-a has no /var/log/node-e2e/r20261130a/node-a-0/report.tar.gz")
			}
			res := Verify(e)
			if res.Passed != (len(c.want) == 0) {
				t.Errorf("passed %v, reason %q", res.Passed, res.Reason)
			}
			for _, w := range c.want {
				if !strings.Contains(res.Reason, w) {
					t.Errorf("reason %q lacks %q", res.Reason, w)
				}
			}
			entries, _ := os.ReadDir(e.Dir)
			if kept := len(entries) > 0; kept != c.kept {
				t.Errorf("report extracted %v, want %v (reason %q)", kept, c.kept, res.Reason)
			}
			if left, _ := filepath.Glob(filepath.Join(e.Dir, ".report-*")); len(left) > 0 {
				t.Errorf("staging left: %v", left)
			}
			if _, err := os.Lstat(filepath.Join(e.Dir, "etc")); err == nil {
				t.Error("a link or file of a refused report was written")
			}
			if res.Host != "node-a-0" || res.ArtifactsDir != e.Dir {
				t.Errorf("host %q artifacts %q", res.Host, res.ArtifactsDir)
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestVerifyPassCounts: a passing member carries the table's numbers.
func TestVerifyPassCounts(t *testing.T) {
	good := goodReport(t)
	dir := t.TempDir()
	res := Verify(Evidence{Run: testRun(), Member: Member{Node: "node-a", Replica: 1},
		Pod: endedPod(corev1.PodSucceeded, 0, summaryOf(good, 0, 3, 0, 77)), Tarball: writeTemp(t, good), Dir: dir})
	if !res.Passed || res.Counts == nil || res.Counts.Passed != 3 || res.Counts.Skipped != 77 || res.Duration != 90*time.Second ||
		res.Host != "node-a-1" || res.Summary == nil || res.Summary.Ran != 3 || res.ReportBytes != int64(len(good)) || res.Ended != "" {
		t.Errorf("%+v", res)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "logs", "kubelet.log")); string(b) != "kubelet\n" {
		t.Errorf("logs/kubelet.log = %q", b)
	}
}

// TestVerifyKilledPods: a pod ended from outside says how, from its status.
func TestVerifyKilledPods(t *testing.T) {
	evicted := endedPod(corev1.PodFailed, 137, "")
	evicted.Status.Reason, evicted.Status.Message = "Evicted", "The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi."
	oom := endedPod(corev1.PodFailed, 137, "")
	oom.Status.ContainerStatuses[0].State.Terminated.Reason = "OOMKilled"
	deleted := endedPod(corev1.PodFailed, 143, "")
	deleted.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	deleted.Status.Conditions = []corev1.PodCondition{{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: "EvictionByEvictionAPI", Message: "Eviction API: evicting"}}
	deadline := endedPod(corev1.PodFailed, 143, "")
	deadline.Status.Reason, deadline.Status.Message = "DeadlineExceeded", "Pod was active on the node longer than the specified deadline"
	interrupted := endedPod(corev1.PodFailed, 1, `{"exit":1,"sha256":"ab","bytes":2,"ran":1,"specs":80,"passed":0,"failed":1,"flaked":0,"pending":0,"skipped":79}`)
	interrupted.Status.Reason, interrupted.Status.Message = "Evicted", "The node had condition: [DiskPressure]."
	for _, c := range []struct {
		name  string
		pod   *corev1.Pod
		ended []string
	}{
		{"evicted", evicted, []string{"Evicted: The node was low on resource: memory.", "container terminated: exit 137 (signal 9: killed)"}},
		{"OOMKilled", oom, []string{"container terminated: exit 137 OOMKilled (signal 9: killed)"}},
		{"deleted", deleted, []string{"disrupted, EvictionByEvictionAPI: Eviction API: evicting", "pod deleted", "exit 143 (signal 15: terminated)"}},
		{"deadline", deadline, []string{"DeadlineExceeded: Pod was active on the node longer"}},
		{"evicted after the entrypoint reported", interrupted, []string{"Evicted: The node had condition: [DiskPressure]."}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := Verify(Evidence{Run: testRun(), Member: Member{Node: "node-a"}, Pod: c.pod, FetchErr: errors.New("gone"), Dir: t.TempDir()})
			if res.Passed {
				t.Fatal("passed")
			}
			for _, w := range c.ended {
				if !strings.Contains(res.Ended, w) || !strings.Contains(res.Reason, w) {
					t.Errorf("ended %q / reason %q lack %q", res.Ended, res.Reason, w)
				}
			}
			if !strings.HasPrefix(res.Reason, "pod suite-node-a-0-abcde failed: ") {
				t.Errorf("reason %q does not start with the pod's end", res.Reason)
			}
		})
	}
	if strings.Contains(Verify(Evidence{Run: testRun(), Pod: interrupted, FetchErr: errors.New("gone"), Dir: t.TempDir()}).Ended, "container terminated") {
		t.Error("a container that wrote its summary and exited 1 is reported as killed")
	}
}

func TestParseSummary(t *testing.T) {
	s, err := ParseSummary(`{"exit":0,"sha256":"ab","bytes":12,"ran":3,"passed":3,"failed":0,"pending":0,"skipped":77}` + "\n")
	if err != nil || !s.Counted || s.Ran != 3 || s.Skipped != 77 || s.Bytes != 12 {
		t.Errorf("%+v %v", s, err)
	}
	for _, bad := range []string{"", "hello", `{"sha256":"ab"}`, `{"exit":0`, "line one\n{\"exit\":0}"} {
		if _, err := ParseSummary(bad); err == nil {
			t.Errorf("ParseSummary(%q) accepted", bad)
		}
	}
}
