package cluster

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestIntegrationResultsOnTheHarnessNode runs two real specs as a Job on
// the harness's node (left up with the Job controller), with the real
// entrypoint: FollowLogs streams the suite's log while it runs, Collect
// fetches the report through the node proxy and the kubelet's /logs/ and
// verifies it, and CleanNodes removes the run's directory from the node.
func TestIntegrationResultsOnTheHarnessNode(t *testing.T) {
	const node = "results-node"
	h := harnessNode(t, node, "--run-job-controller")
	l, st, cfg, client := h.Layout, h.State, h.Config, h.Admin
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	ref := h.PushSuiteImage(ctx)

	r := Run{ID: NewRunID(time.Now()), SuiteImage: ref, ImageRegistry: st.Registry.Host,
		RegistryCredentials: st.Registry.Username + ":" + st.Registry.Password, Nodes: []string{node},
		Timeout: 8 * time.Minute, Created: time.Now(), TTL: 10 * time.Minute,
		// The harness's containerd, through the host root the pod mounts.
		RuntimeEndpoint: "unix://" + hostRootMount + l.ContainerdSocket(),
		// Two short specs that create pods from the suite's spec images
		// (pushed by the suite with the credentials), on two processes.
		GinkgoArgs: []string{"--no-color", "-v", "--procs=2", "--focus=Command, args and environment"}}
	objs, err := r.Objects()
	if err != nil {
		t.Fatal(err)
	}
	r = r.Defaulted()
	m := Member{Node: node}
	nodeDir := r.ReportDir(m)
	deleted := false
	deleteRun := func() {
		if !deleted {
			deleted = true
			dctx, dcancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer dcancel()
			if err := Delete(dctx, client, r.ID); err != nil {
				t.Errorf("delete the run: %v", err)
			}
			_ = os.RemoveAll(filepath.Join(NodeRunsDir, r.ID)) // if CleanNodes did not
		}
	}
	defer deleteRun()
	ca, err := os.ReadFile(filepath.Join(l.PKIDir(), "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if j, ok := o.(*batchv1.Job); ok {
			// The API server as this host reaches it (the kubernetes
			// Service's address has no route without kube-proxy).
			c := &j.Spec.Template.Spec.Containers[0]
			c.Env = append(c.Env, corev1.EnvVar{Name: "NODE_E2E_API_SERVER", Value: cfg.Host})
		}
		if err := createObject(ctx, client, o); err != nil {
			t.Fatalf("create %T: %v", o, err)
		}
		if _, ok := o.(*corev1.ServiceAccount); ok {
			if err := ensureRootCA(ctx, client, r, ca); err != nil {
				t.Fatal(err)
			}
		}
	}
	b := &Barrier{Client: client, Namespace: r.Namespace, RunID: r.ID, Members: r.Members(), Timeout: 2 * time.Minute}
	if _, err := b.Wait(ctx); err != nil {
		t.Fatalf("barrier: %v", err)
	}
	released := time.Now()

	// The live log, followed while the suite runs.
	var followed lockedBuffer
	var wg sync.WaitGroup
	var followErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		followErr = FollowLogs(ctx, client, r, m, &followed)
	}()
	var j *batchv1.Job
	for {
		if j, err = client.BatchV1().Jobs(r.Namespace).Get(ctx, workloadName(m), metav1.GetOptions{}); err != nil {
			t.Fatal(err)
		}
		if jobDone(j) != "" {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	ran := time.Since(released)
	wg.Wait()
	if followErr != nil {
		t.Errorf("FollowLogs: %v", followErr)
	}
	live := followed.String()
	for _, want := range []string{"node-e2e: start signal", "Ran 2 of ", "node-e2e: result {\"exit\":0,"} {
		if !strings.Contains(live, want) {
			t.Errorf("followed log lacks %q:\n%s", want, tail(live, 40))
		}
	}
	if n := strings.Count(live, "node-e2e: result "); n != 1 {
		t.Errorf("followed log holds the result line %d times", n)
	}

	dest := filepath.Join(t.TempDir(), r.ArtifactsName(m))
	t0 := time.Now()
	res, err := Collect(ctx, client, r, m, dest)
	took := time.Since(t0)
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if !res.Passed || res.Counts == nil || res.Counts.Passed != 2 || res.Summary == nil || res.Summary.Passed != 2 {
		t.Errorf("Collect: %+v (job %s)", res, jobDone(j))
	}
	if log, err := os.ReadFile(filepath.Join(dest, "ginkgo.log")); err != nil || !strings.Contains(string(log), "Ran 2 of ") {
		t.Errorf("ginkgo.log from the report: %v", err)
	}
	if res.Counts != nil {
		t.Logf("suite ran %v after the release; Collect fetched and verified %d bytes in %v (%d passed, %d skipped, suite container %v)",
			ran.Round(time.Millisecond), res.ReportBytes, took.Round(time.Millisecond), res.Counts.Passed, res.Counts.Skipped, res.Duration)
	}

	// The report outlives the pod: delete it, then collect again.
	pod, err := memberPod(ctx, client, r, m)
	if err != nil || pod == nil {
		t.Fatalf("suite pod: %v", err)
	}
	summary := pod.Status.ContainerStatuses[0].State.Terminated.Message
	if err := client.CoreV1().Pods(r.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := waitPodGone(ctx, client, r.Namespace, pod.Name); err != nil {
		t.Fatal(err)
	}
	part := filepath.Join(t.TempDir(), "report.tar.gz")
	sum, err := ParseSummary(summary)
	if err != nil {
		t.Fatal(err)
	}
	if err := fetchReport(ctx, client, r, m, part); err != nil {
		t.Errorf("fetch after the pod's deletion: %v", err)
	} else if size, digest, _ := fileDigest(part); size != sum.Bytes || digest != sum.SHA256 {
		t.Errorf("after the pod's deletion: %d bytes sha256 %s, the pod wrote %d %s", size, digest, sum.Bytes, sum.SHA256)
	}

	t0 = time.Now()
	if err := CleanNodes(ctx, client, r); err != nil {
		t.Errorf("CleanNodes: %v", err)
	}
	t.Logf("CleanNodes took %v", time.Since(t0).Round(time.Millisecond))
	if _, err := os.Stat(filepath.Join(NodeRunsDir, r.ID)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s after CleanNodes: %v", nodeDir, err)
	}
	if err := fetchReport(ctx, client, r, m, part); err == nil || !strings.Contains(err.Error(), "has no /var/log/node-e2e/") {
		t.Errorf("fetch after CleanNodes: %v, want the report missing", err)
	}
	deleteRun()
	h.Teardown()
	var left []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if left = extraOf(h.Before, hostLeftovers(h.Root)); len(left) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(left) > 0 {
		t.Errorf("left after teardown: %v", left)
	}
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
