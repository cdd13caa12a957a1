package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/node-e2e/harness/runner/remote/internal/cluster"
	"github.com/node-e2e/harness/services/registry"
)

// unpullableEnv makes the runner (this test binary, see TestMain) push the
// suite image as usual but reference it by a digest the registry does not
// have: the node's kubelet then fails to pull it for real.
const unpullableEnv = "RUNNER_REMOTE_TEST_UNPULLABLE_SUITE_IMAGE"

func init() {
	if os.Getenv(unpullableEnv) != "1" {
		return
	}
	pushSuiteImage = func(ctx context.Context, reg registry.Remote, img v1.Image) (string, error) {
		ref, err := cluster.PushSuiteImage(ctx, reg, img)
		repo, _, _ := strings.Cut(ref, "@")
		sum := sha256.Sum256([]byte("no such suite image"))
		return repo + "@sha256:" + hex.EncodeToString(sum[:]), err
	}
}

// clusterFailures are the scenarios where a run cannot go on: a suite
// image the node cannot pull, a suite pod deleted mid-run, a replica
// asking for more CPU than the node has. After each: mustBeClean.
func clusterFailures(t *testing.T, n *clusterNode, before []string) {
	t.Run("suite image cannot be pulled", func(t *testing.T) {
		id := "nopull-" + time.Now().UTC().Format("150405")
		cmd := n.runnerCmd(n.runArgs(clusterFocus, "--run-id="+id, "--sync-timeout=2m")...)
		cmd.Env = append(cmd.Env, unpullableEnv+"=1")
		code, out, submitted, reported := runTimed(t, cmd, "submitted at", "failed before the start")
		if code != exitFailed {
			t.Errorf("runner exit %d, want %d\n%s", code, exitFailed, out)
		}
		for _, want := range []string{"node " + n.name + " (replica 0)", "not found", "run " + id + ": deleted in"} {
			if !strings.Contains(out, want) {
				t.Errorf("runner output lacks %q:\n%s", want, out)
			}
		}
		if !strings.Contains(out, "ErrImagePull") && !strings.Contains(out, "ImagePullBackOff") {
			t.Errorf("runner output names neither ErrImagePull nor ImagePullBackOff:\n%s", out)
		}
		if strings.Contains(out, "start signal") {
			t.Errorf("a suite started:\n%s", out)
		}
		t.Logf("pull failure reported %v after the runner's submitted line: %s", reported.Sub(submitted).Round(time.Millisecond), lineWith(out, "failed before the start"))
		n.mustBeClean(t, id, before)
	})

	t.Run("suite pod deleted mid-run", func(t *testing.T) {
		id := "podgone-" + time.Now().UTC().Format("150405")
		art := t.TempDir()
		cmd := n.runnerCmd(n.runArgs(clusterFocus, "--run-id="+id, "--results-dir="+art)...)
		var deleted time.Time
		code, out, _, reported := runTimedWith(t, cmd, "released at", " ended ", func() {
			ctx := context.Background()
			pods, err := n.client.CoreV1().Pods(cluster.NamespaceName(id)).List(ctx, metav1.ListOptions{LabelSelector: cluster.SyncSelector(id)})
			if err != nil || len(pods.Items) != 1 {
				t.Errorf("suite pods of %s: %v, %v", id, pods, err)
				return
			}
			deleted = time.Now()
			if err := n.client.CoreV1().Pods(pods.Items[0].Namespace).Delete(ctx, pods.Items[0].Name, metav1.DeleteOptions{}); err != nil {
				t.Error(err)
			}
		})
		if code != exitFailed {
			t.Errorf("runner exit %d, want %d\n%s", code, exitFailed, out)
		}
		if !strings.Contains(out, "deleted") || !strings.Contains(out, "FAIL") {
			t.Errorf("the runner does not report the deleted pod as a failure:\n%s", out)
		}
		if l := lineWith(out, " ended "); regexp.MustCompile(`\d+h\d+m`).MatchString(l) {
			t.Errorf("the ended line gives a duration the runner cannot know: %s", l)
		}
		log := readFile(t, filepath.Join(art, n.name, "suite.log"))
		for _, want := range []string{"start signal", "node-e2e: SIGTERM: interrupting the suite"} {
			if !strings.Contains(log, want) {
				t.Errorf("suite.log in ARTIFACTS lacks %q:\n%s", want, log)
			}
		}
		if !deleted.IsZero() && !reported.IsZero() {
			t.Logf("deleted pod reported %v after its deletion: %s", reported.Sub(deleted).Round(time.Millisecond), lineWith(out, " ended "))
		}
		n.mustBeClean(t, id, before)
	})

	t.Run("replica asks for more CPU than the node has", func(t *testing.T) {
		node, err := n.client.CoreV1().Nodes().Get(context.Background(), n.name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// Three quarters of the node's allocatable CPU each: one replica
		// fits, the second does not.
		alloc := node.Status.Allocatable[corev1.ResourceCPU]
		req := resource.NewMilliQuantity(alloc.MilliValue()*3/4, resource.DecimalSI)
		id := "outofcpu-" + time.Now().UTC().Format("150405")
		cmd := n.runnerCmd(n.runArgs(clusterFocus, "--run-id="+id, "--replicas-per-node=2", "--suite-cpu-request="+req.String(), "--sync-timeout=2m")...)
		code, out, submitted, reported := runTimed(t, cmd, "submitted at", "failed before the start")
		if code != exitFailed {
			t.Errorf("runner exit %d, want %d\n%s", code, exitFailed, out)
		}
		for _, want := range []string{"OutOfcpu", "node " + n.name + " (replica ", "run " + id + ": deleted in"} {
			if !strings.Contains(out, want) {
				t.Errorf("runner output lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "released at") {
			t.Errorf("the barrier released the run:\n%s", out)
		}
		t.Logf("OutOfcpu (each replica %s of %s) reported %v after the runner's submitted line: %s", req, alloc.String(), reported.Sub(submitted).Round(time.Millisecond), lineWith(out, "failed before the start"))
		n.mustBeClean(t, id, before)
	})
}

// runTimed runs cmd, stdout and stderr merged, and returns its exit code,
// its output and when the first line holding from and the first holding
// to appeared.
func runTimed(t *testing.T, cmd *exec.Cmd, from, to string) (int, string, time.Time, time.Time) {
	t.Helper()
	return runTimedWith(t, cmd, from, to, nil)
}

// runTimedWith is runTimed calling atFrom (if not nil) when the from line
// appears.
func runTimedWith(t *testing.T, cmd *exec.Cmd, from, to string, atFrom func()) (int, string, time.Time, time.Time) {
	t.Helper()
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
	var fromAt, toAt time.Time
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		out.WriteString(line + "\n")
		if fromAt.IsZero() && strings.Contains(line, from) {
			fromAt = time.Now()
			if atFrom != nil {
				atFrom()
			}
		}
		if toAt.IsZero() && !fromAt.IsZero() && strings.Contains(line, to) {
			toAt = time.Now()
		}
	}
	err = cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if fromAt.IsZero() || toAt.IsZero() {
		t.Errorf("the runner did not print %q then %q:\n%s", from, to, out.String())
	}
	return code, out.String(), fromAt, toAt
}

// lineWith is the first line of out holding s.
func lineWith(out, s string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}
