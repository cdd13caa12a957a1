package cluster

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/node-e2e/harness/internal/run"
)

// hostLeftovers lists what a node run creates on this host: its
// processes, cgroups, /var/log/containers links and run root entries.
func hostLeftovers(root string) []string {
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		comm, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if err != nil {
			continue
		}
		switch name := strings.TrimSpace(string(comm)); {
		case name == "kubelet", name == "containerd", strings.HasPrefix(name, "containerd-shim"), name == "e2e_node.test", name == "pause":
			out = append(out, "process "+e.Name()+":"+name)
		}
	}
	cg, _ := filepath.Glob("/sys/fs/cgroup/*/node-e2e-*")
	out = append(out, cg...)
	for _, dir := range []string{"/var/log/containers", root} {
		es, _ := os.ReadDir(dir)
		for _, e := range es {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}

// waitingJob swaps the suite container's command for a script that waits
// for the start signal as the real entrypoint does (the image's
// e2e_node.test --await-start, which prints when it saw it), then runs the
// image's ginkgo: the Job runs the suite image without running specs
// against this node.
func waitingJob(j *batchv1.Job) {
	c := &j.Spec.Template.Spec.Containers[0]
	c.Command = []string{"/bin/sh", "-c", `api="${NODE_E2E_API_SERVER:-https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT}"
` + suiteBinary + ` "--await-start=$NODE_E2E_POD_NAMESPACE/$NODE_E2E_POD_NAME" "--host=$api" --bearer-token-file=` + tokenDir + `/token --host-ca-file=` + tokenDir + `/ca.crt || exit $?
ls /usr/local/bin
exec ` + ginkgoBinary + ` version`}
	c.Args = nil
}

// TestIntegrationJobsOnTheHarnessNode leaves the harness's node up with
// the Job controller on (--stop-services=false --run-job-controller),
// pushes the suite image built from _output/bin to the node's registry,
// creates a run's objects (namespace, ServiceAccount, ClusterRole, binding,
// two Jobs pinned to the node), releases the Jobs' pods through the
// barrier, waits for both Jobs to complete, then deletes everything and
// tears the node down: nothing may be left.
func TestIntegrationJobsOnTheHarnessNode(t *testing.T) {
	const node = "jobs-node"
	h := harnessNode(t, node, "--run-job-controller")
	l, st, client := h.Layout, h.State, h.Admin
	if !slices.ContainsFunc(st.Phases, func(p run.Phase) bool { return p.Name == "job controller started" }) {
		t.Errorf("services phases %v lack the job controller", st.Phases)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	// The suite image, built and pushed to the node's registry.
	ref := h.PushSuiteImage(ctx)
	cfg := h.Config
	// The API server as the pods reach it (its certificate has no SAN for
	// the kubernetes Service's address on the harness's node).
	r := Run{ID: "jobs1", SuiteImage: ref, ImageRegistry: st.Registry.Host, Nodes: []string{node}, Replicas: 2, Timeout: 5 * time.Minute, APIServer: cfg.Host}
	objs, err := r.Objects()
	if err != nil {
		t.Fatal(err)
	}
	r = r.Defaulted()
	ca, err := os.ReadFile(filepath.Join(l.PKIDir(), "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	cleaned := false
	cleanup := func() {
		if cleaned {
			return
		}
		cleaned = true
		dctx, dcancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer dcancel()
		// The suite pods' report directories on the node, before the
		// namespace (CleanNodes runs its pods there).
		if err := CleanNodes(dctx, client, r); err != nil {
			t.Errorf("CleanNodes: %v", err)
		}
		if _, err := os.Stat(filepath.Join(NodeRunsDir, r.ID)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s/%s left on the node: %v", NodeRunsDir, r.ID, err)
		}
		_ = client.CoreV1().Namespaces().Delete(dctx, r.Namespace, metav1.DeleteOptions{})
		_ = client.RbacV1().ClusterRoleBindings().Delete(dctx, r.clusterRoleName(), metav1.DeleteOptions{})
		_ = client.RbacV1().ClusterRoles().Delete(dctx, r.clusterRoleName(), metav1.DeleteOptions{})
		for dctx.Err() == nil {
			if _, err := client.CoreV1().Namespaces().Get(dctx, r.Namespace, metav1.GetOptions{}); apierrors.IsNotFound(err) {
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Errorf("namespace %s still there 2m after its deletion", r.Namespace)
	}
	defer cleanup()

	created := time.Now()
	for _, o := range objs {
		if j, ok := o.(*batchv1.Job); ok {
			waitingJob(j)
		}
		if err := createObject(ctx, client, o); err != nil {
			t.Fatalf("create %T: %v", o, err)
		}
		if _, ok := o.(*corev1.ServiceAccount); ok {
			// What kube-controller-manager's root CA publisher does.
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kube-root-ca.crt", Namespace: r.Namespace}, Data: map[string]string{"ca.crt": string(ca)}}
			if _, err := client.CoreV1().ConfigMaps(r.Namespace).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	b := &Barrier{Client: client, Namespace: r.Namespace, RunID: r.ID, Members: r.Members(), Timeout: 2 * time.Minute}
	rel, err := b.Wait(ctx)
	if err != nil {
		t.Fatalf("barrier: %v", err)
	}
	t.Logf("all %d pods running %v after creation; release acknowledged within %v (skew %v)", len(rel.Arrived),
		rel.At.Sub(created).Round(time.Millisecond), maxAck(rel).Round(time.Millisecond), rel.Skew().Round(time.Millisecond))

	for _, m := range r.Members() {
		name := workloadName(m)
		var j *batchv1.Job
		for {
			j, err = client.BatchV1().Jobs(r.Namespace).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if jobDone(j) != "" {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if c := jobDone(j); c != string(batchv1.JobComplete) {
			t.Errorf("job %s ended %s: %+v", name, c, j.Status)
		}
		pods, err := client.CoreV1().Pods(r.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "batch.kubernetes.io/job-name=" + name})
		if err != nil || len(pods.Items) != 1 {
			t.Fatalf("pods of job %s: %v, %v", name, pods, err)
		}
		p := pods.Items[0]
		logs, err := client.CoreV1().Pods(r.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{}).DoRaw(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sm := regexp.MustCompile(`node-e2e: start signal (\S+) seen at (\S+)`).FindSubmatch(logs)
		if sm == nil {
			t.Errorf("pod %s log lacks the start line:\n%s", p.Name, logs)
			continue
		}
		sig, seen := string(sm[1]), string(sm[2])
		if p.Annotations[AnnotationWaiting] == "" {
			t.Errorf("pod %s was released without its %s annotation", p.Name, AnnotationWaiting)
		}
		if sig != p.Annotations[AnnotationStart] {
			t.Errorf("pod %s saw start %q, annotation is %q", p.Name, sig, p.Annotations[AnnotationStart])
		}
		for _, want := range []string{"e2e_node.test", "testimage", "Ginkgo Version"} {
			if !bytes.Contains(logs, []byte(want)) {
				t.Errorf("pod %s log lacks %q:\n%s", p.Name, want, logs)
			}
		}
		ts, _ := time.Parse(time.RFC3339Nano, sig)
		secs, err := strconv.ParseFloat(seen, 64)
		if err != nil {
			t.Errorf("pod %s: seen time %q: %v", p.Name, seen, err)
		}
		tseen := time.Unix(0, int64(secs*1e6)*1e3)
		t.Logf("%s: pod %s saw the start signal %v after the release (at %s)", m, p.Name, tseen.Sub(ts).Round(time.Millisecond), seen)
		if done := jobCompleted(j); !done.IsZero() {
			t.Logf("%s: job %s complete %v after its creation (completion time has second precision)", m, name, done.Sub(created).Round(time.Second))
		}
	}

	start := time.Now()
	cleanup()
	for _, check := range []func() (int, error){
		func() (int, error) {
			l, err := client.BatchV1().Jobs("").List(ctx, metav1.ListOptions{LabelSelector: RunSelector(r.ID)})
			return len(l.Items), err
		},
		func() (int, error) {
			l, err := client.CoreV1().Pods("").List(ctx, metav1.ListOptions{LabelSelector: RunSelector(r.ID)})
			return len(l.Items), err
		},
		func() (int, error) {
			l, err := client.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{LabelSelector: RunSelector(r.ID)})
			return len(l.Items), err
		},
	} {
		if n, err := check(); err != nil || n != 0 {
			t.Errorf("after cleanup: %d labelled objects left (%v)", n, err)
		}
	}
	t.Logf("run objects deleted in %v", time.Since(start).Round(time.Millisecond))
	h.Teardown()
	var left []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		left = extraOf(h.Before, hostLeftovers(h.Root))
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(left) > 0 {
		t.Errorf("left after teardown: %v", left)
	}
}

func extraOf(before, after []string) []string {
	var out []string
	for _, a := range after {
		if !slices.Contains(before, a) {
			out = append(out, a)
		}
	}
	return out
}

func maxAck(r Released) time.Duration {
	var m time.Duration
	for _, d := range r.Acked {
		m = max(m, d)
	}
	return m
}

// jobDone is the type of j's Complete or Failed condition, if true.
func jobDone(j *batchv1.Job) string {
	for _, c := range j.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return string(c.Type)
		}
	}
	return ""
}

func jobCompleted(j *batchv1.Job) time.Time {
	if j.Status.CompletionTime != nil {
		return j.Status.CompletionTime.Time
	}
	return time.Time{}
}
