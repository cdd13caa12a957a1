package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/node-e2e/harness/runner/remote/internal/cluster"
)

// clusterFocus is a short selection of fast specs that create pods from
// the spec images (pushed by the suite to --registry and pulled by the
// node).
const clusterFocus = "--focus=Command, args and environment"

// TestIntegrationClusterMode runs the runner in cluster mode against the
// harness's own node, left up with the Job controller, its registry as
// --registry: a pass as Job and as bare pod, --detach then cancel,
// --detach then collect, the runner SIGKILLed after the release then
// attach (5 runs), the failures (clusterFailures: an image the node
// cannot pull, a suite pod deleted mid-run, a replica the node rejects
// with OutOfcpu), and --replicas-per-node=3 (5 runs, start skew). After
// each: nothing labelled with the run id, no spec namespace, no ready
// sandbox left, no report directory on the node, the node Ready.
func TestIntegrationClusterMode(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("integration test: needs root")
	}
	n := upClusterNode(t)
	before := n.readySandboxes(t)
	expected := map[string][]string{}

	// The baseline: the same selection run here against the same node,
	// --start-services=false, as a cluster-mode pod runs it.
	t.Run("local --start-services=false baseline", func(t *testing.T) {
		report := t.TempDir()
		args := []string{"--no-color", "--procs=2", clusterFocus, filepath.Join(n.bin, "e2e_node.test"), "--",
			"--start-services=false", "--kubeconfig=" + n.kubeconfig, "--node-name=" + n.name, "--report-dir=" + report,
			"--image-registry=" + n.registry, "--image-registry-credentials-file=" + n.credentials,
			"--container-runtime-endpoint=unix://" + filepath.Join(n.dir, "containerd", "containerd.sock")}
		out, err := exec.Command(filepath.Join(n.bin, "ginkgo"), args...).CombinedOutput()
		if err != nil {
			t.Fatalf("ginkgo %q: %v\n%s", args, err, out)
		}
		expected["local"] = passedSpecs(t, report)
		if len(expected["local"]) != 2 {
			t.Errorf("the local run passed %q, want the 2 specs the focus selects", expected["local"])
		}
		n.mustBeClean(t, "none", before)
	})

	for _, w := range []string{"job", "pod"} {
		t.Run("pass as "+w, func(t *testing.T) {
			art := t.TempDir()
			start := time.Now()
			code, out, errs := n.runner(t, n.runArgs("--workload="+w, clusterFocus, "--results-dir="+art)...)
			if code != exitOK {
				t.Fatalf("runner exit %d\n%s\n%s", code, out, errs)
			}
			id := runIDOf(t, out)
			if !strings.Contains(out, "cluster mode: run "+id) || !strings.Contains(out, "no node is brought up here") {
				t.Errorf("the runner did not say at once what it does:\n%s", out)
			}
			dir := filepath.Join(art, n.name)
			got := passedSpecs(t, dir)
			if len(got) != 2 {
				t.Errorf("passed specs %q, want the 2 the focus selects", got)
			}
			expected[w] = got
			t.Logf("%s: submit to first spec %v (runner start to first spec %v)", w,
				firstSpecStart(t, dir).Sub(submittedAt(t, out)).Round(time.Millisecond), firstSpecStart(t, dir).Sub(start).Round(time.Millisecond))
			if !strings.Contains(out, "PASS") {
				t.Errorf("no PASS row:\n%s", out)
			}
			n.mustBeClean(t, id, before)
		})
	}
	// (Each that ran: go test -run may leave one out.)
	for _, w := range []string{"pod", "local"} {
		if got, ok := expected[w]; ok && expected["job"] != nil && !reflect.DeepEqual(expected["job"], got) {
			t.Errorf("the Job passed %q, the %s run %q", expected["job"], w, got)
		}
	}

	t.Run("detach then cancel", func(t *testing.T) {
		code, out, errs := n.runner(t, n.runArgs("--detach", clusterFocus)...)
		if code != exitOK {
			t.Fatalf("runner exit %d\n%s\n%s", code, out, errs)
		}
		id := runIDOf(t, out)
		for _, c := range []string{"attach", "collect", "status", "cancel"} {
			if !strings.Contains(out, "go run ./runner/remote "+c+" --kubeconfig="+n.kubeconfig+" --run-id="+id) {
				t.Errorf("no %s command line:\n%s", c, out)
			}
		}
		if code, out, _ := n.runner(t, "status", "--run-id="+id); code != exitOK || !strings.Contains(out, "running") {
			t.Errorf("status: %d\n%s", code, out)
		}
		start := time.Now()
		code, out, errs = n.runner(t, "cancel", "--run-id="+id)
		if code != exitOK {
			t.Fatalf("cancel exit %d\n%s\n%s", code, out, errs)
		}
		t.Logf("cancel to clean: %v", time.Since(start).Round(time.Millisecond))
		n.mustBeClean(t, id, before)
		if code, _, errs := n.runner(t, "status", "--run-id="+id); code != exitUsage || !strings.Contains(errs, "no such run") {
			t.Errorf("status of a cancelled run: %d %s", code, errs)
		}
	})

	t.Run("detach then collect", func(t *testing.T) {
		code, out, errs := n.runner(t, n.runArgs("--detach", clusterFocus)...)
		if code != exitOK {
			t.Fatalf("runner exit %d\n%s\n%s", code, out, errs)
		}
		id := runIDOf(t, out)
		waitEnded(t, n, id)
		art := t.TempDir()
		code, out, errs = n.runner(t, "collect", "--run-id="+id, "--results-dir="+art)
		if code != exitOK {
			t.Fatalf("collect exit %d\n%s\n%s", code, out, errs)
		}
		if got := passedSpecs(t, filepath.Join(art, n.name)); !reflect.DeepEqual(got, expected["job"]) {
			t.Errorf("collected passed specs %q, want %q", got, expected["job"])
		}
		n.mustBeClean(t, id, before)
	})

	t.Run("SIGKILL after the release then attach", func(t *testing.T) {
		recovered := 0
		for i := range 5 {
			id := "kill-" + time.Now().UTC().Format("150405") + "-" + string(rune('a'+i))
			cmd := n.runnerCmd(n.runArgs(clusterFocus, "--run-id="+id)...)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			released := false
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if strings.Contains(sc.Text(), "released at") {
					released = true
					break
				}
			}
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			if !released {
				t.Errorf("run %d: the runner ended before the release", i)
				continue
			}
			art := t.TempDir()
			code, out, errs := n.runner(t, "attach", "--run-id="+id, "--results-dir="+art)
			if code != exitOK {
				t.Errorf("run %d: attach exit %d\n%s\n%s", i, code, out, errs)
			} else if got := passedSpecs(t, filepath.Join(art, n.name)); reflect.DeepEqual(got, expected["job"]) && strings.Count(readFile(t, filepath.Join(art, n.name, "suite.log")), "start signal") == 1 {
				recovered++
			} else {
				t.Errorf("run %d: passed %q, want %q, each suite run once", i, got, expected["job"])
			}
			n.mustBeClean(t, id, before)
		}
		t.Logf("attach after SIGKILL recovered %d of 5 runs", recovered)
	})

	t.Run("interrupt before the release deletes the run", func(t *testing.T) {
		id := "int-before-" + time.Now().UTC().Format("150405")
		code, out := interruptAfter(t, n, "submitted at", n.runArgs(clusterFocus, "--run-id="+id)...)
		if code != exitFailed || !strings.Contains(out, "run "+id+": deleted in") {
			t.Errorf("runner interrupted before the release: exit %d, want %d and the run deleted\n%s", code, exitFailed, out)
		}
		n.mustBeClean(t, id, before)
	})

	t.Run("interrupt during attach leaves the run", func(t *testing.T) {
		id := "int-attach-" + time.Now().UTC().Format("150405")
		code, out := interruptAfter(t, n, "attached", n.runArgs(clusterFocus, "--run-id="+id)...)
		if code != exitFailed || !strings.Contains(out, "goes on in the cluster; re-attach with:") || !strings.Contains(out, "attach --kubeconfig="+n.kubeconfig+" --run-id="+id) {
			t.Errorf("runner interrupted during attach: exit %d, want %d and the re-attach line\n%s", code, exitFailed, out)
		}
		if _, err := cluster.Lookup(context.Background(), n.client, id); err != nil {
			t.Fatalf("the run is gone after an interrupted attach: %v", err)
		}
		waitEnded(t, n, id)
		art := t.TempDir()
		if code, out, errs := n.runner(t, "collect", "--run-id="+id, "--results-dir="+art); code != exitOK {
			t.Errorf("collect after the interrupted attach: exit %d\n%s\n%s", code, out, errs)
		} else if got := passedSpecs(t, filepath.Join(art, n.name)); !reflect.DeepEqual(got, expected["job"]) {
			t.Errorf("collected %q, want %q", got, expected["job"])
		}
		n.mustBeClean(t, id, before)
	})

	clusterFailures(t, n, before)

	t.Run("three replicas", func(t *testing.T) {
		var skews, lasts []time.Duration
		for range 5 {
			art := t.TempDir()
			code, out, errs := n.runner(t, n.runArgs("--replicas-per-node=3", clusterFocus, "--results-dir="+art)...)
			if code != exitOK {
				t.Fatalf("runner exit %d\n%s\n%s", code, out, errs)
			}
			var lo, hi time.Time
			var rel time.Time
			for i := range 3 {
				dir := filepath.Join(art, n.name+"-"+string(rune('0'+i)))
				if got := passedSpecs(t, dir); !reflect.DeepEqual(got, expected["job"]) {
					t.Errorf("replica %d passed %q", i, got)
				}
				r, seen := startSeen(t, dir)
				rel = r
				if lo.IsZero() || seen.Before(lo) {
					lo = seen
				}
				if seen.After(hi) {
					hi = seen
				}
			}
			skews = append(skews, hi.Sub(lo))
			lasts = append(lasts, hi.Sub(rel))
			n.mustBeClean(t, runIDOf(t, out), before)
		}
		t.Logf("start skew over 3 replicas in 5 runs: median %v, max %v (%s); release to the last replica's start: median %v, max %v",
			median(skews).Round(time.Millisecond), maxOf(skews).Round(time.Millisecond), fmtDurations(skews),
			median(lasts).Round(time.Millisecond), maxOf(lasts).Round(time.Millisecond))
	})
}

// submittedAt is when the runner began creating the run's objects, as
// it printed.
func submittedAt(t *testing.T, out string) time.Time {
	t.Helper()
	m := regexp.MustCompile(`submitted at (\S+):`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no submission time in the runner's output:\n%s", out)
	}
	at, err := time.Parse(time.RFC3339Nano, m[1])
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// interruptAfter runs the runner with args, sends it SIGINT once a line of
// its output holds mark, and returns its exit code and its whole output.
func interruptAfter(t *testing.T, n *clusterNode, mark string, args ...string) (int, string) {
	t.Helper()
	cmd := n.runnerCmd(args...)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	var out strings.Builder
	sc := bufio.NewScanner(r)
	signalled := false
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if !signalled && strings.Contains(sc.Text(), mark) {
			cmd.Process.Signal(os.Interrupt)
			signalled = true
		}
	}
	err = cmd.Wait()
	if !signalled {
		t.Errorf("the runner never printed %q", mark)
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	return code, out.String()
}

func maxOf(ds []time.Duration) time.Duration {
	var m time.Duration
	for _, d := range ds {
		m = max(m, d)
	}
	return m
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// waitEnded waits until every member of run id ended.
func waitEnded(t *testing.T, n *clusterNode, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for ctx.Err() == nil {
		st, err := cluster.Lookup(ctx, n.client, id)
		if err != nil {
			t.Fatal(err)
		}
		done := true
		for _, m := range st.Members {
			done = done && m.Done()
		}
		if done {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	pods, _ := n.client.CoreV1().Pods(cluster.NamespaceName(id)).List(context.Background(), metav1.ListOptions{})
	t.Fatalf("run %s did not end: %+v", id, pods)
}
