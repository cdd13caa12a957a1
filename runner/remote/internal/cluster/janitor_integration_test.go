package cluster

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestIntegrationJanitorDeletesAnExpiredRun leaves the harness's node up,
// creates a run's namespace, ServiceAccount, ClusterRole and binding
// expiring a few seconds later, and its janitor (SubmitJanitor) from the
// suite image built from _output/bin: at the expiry the janitor pod
// deletes the suite's ClusterRole and binding, the namespace (itself with
// it) and its own binding, with its own token and nothing else; its
// ClusterRole is left for a garbage collector, which the harness's
// control plane does not run, and Reap --expired removes it.
func TestIntegrationJanitorDeletesAnExpiredRun(t *testing.T) {
	const node = "janitor-node"
	h := harnessNode(t, node)
	l, admin := h.Layout, h.Admin
	if help, _ := exec.Command(filepath.Join(h.Bin, "e2e_node.test"), "--help").CombinedOutput(); !strings.Contains(string(help), "janitor-at") {
		missingBinary(t, os.ErrNotExist, "_output/bin/e2e_node.test has no janitor mode: rebuild it (hack/build.sh e2e_node.test)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ref := h.PushSuiteImage(ctx)
	cfg := h.Config
	ca, err := os.ReadFile(filepath.Join(l.PKIDir(), "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	before := objectNames(t, admin)

	const lead = 10 * time.Second // from creation to expiry
	r := Run{ID: "jan1", SuiteImage: ref, ImageRegistry: h.State.Registry.Host, Nodes: []string{node},
		Timeout: time.Minute, TTL: time.Second, APIServer: cfg.Host}
	r.Created = time.Now().Add(lead - r.Timeout - r.TTL).Truncate(time.Second)
	r = r.Defaulted()
	expires := r.Expires()
	for _, o := range []runtime.Object{r.NamespaceObject(), r.ServiceAccount(), r.ClusterRole(), r.ClusterRoleBinding()} {
		if err := createObject(ctx, admin, o); err != nil {
			t.Fatal(err)
		}
	}
	if err := ensureRootCA(ctx, admin, r, ca); err != nil {
		t.Fatal(err)
	}
	if err := SubmitJanitor(ctx, admin, r); err != nil {
		t.Fatal(err)
	}
	t.Logf("run %s expires at %v (in %v)", r.ID, expires.Format(time.RFC3339), time.Until(expires).Round(time.Millisecond))

	// The janitor's pod runs, then everything but its ClusterRole goes.
	running, log := false, ""
	var gone time.Time
	for ctx.Err() == nil {
		if !running {
			if p, err := admin.CoreV1().Pods(r.Namespace).Get(ctx, janitorName, metav1.GetOptions{}); err == nil && p.Status.Phase == corev1.PodRunning {
				running = true
				t.Logf("janitor pod running %v before the expiry", time.Until(expires).Round(time.Millisecond))
			}
		}
		if b, err := admin.CoreV1().Pods(r.Namespace).GetLogs(janitorName, &corev1.PodLogOptions{}).DoRaw(ctx); err == nil && len(b) > 0 {
			log = string(b)
		}
		if _, err := admin.CoreV1().Namespaces().Get(ctx, r.Namespace, metav1.GetOptions{}); apierrors.IsNotFound(err) {
			gone = time.Now()
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("janitor log:\n%s", log)
	if gone.IsZero() {
		t.Fatalf("namespace %s still there %v after the expiry", r.Namespace, time.Since(expires))
	}
	if gone.Before(expires) {
		t.Errorf("namespace gone at %v, before the expiry %v", gone, expires)
	}
	t.Logf("namespace gone %v after the expiry", gone.Sub(expires).Round(time.Millisecond))
	left := objectNames(t, admin)
	for _, o := range []string{"cr/" + r.clusterRoleName(), "crb/" + r.clusterRoleName(), "crb/" + r.janitorRoleName()} {
		if slices.Contains(left, o) {
			t.Errorf("%s left after the janitor", o)
		}
	}
	if !slices.Contains(left, "cr/"+r.janitorRoleName()) {
		t.Errorf("the janitor's ClusterRole is gone: something else deleted it (a garbage collector?)")
	}
	reaped, err := Reap(ctx, admin, ReapSelector{Expired: true})
	if err != nil || len(reaped) != 1 || reaped[0].RunID != r.ID || reaped[0].Err != nil {
		t.Fatalf("Reap --expired after the janitor = %+v, %v", reaped, err)
	}
	if after := objectNames(t, admin); !slices.Equal(after, before) {
		t.Errorf("after the janitor and reap the cluster differs:\nbefore %v\nafter  %v", before, after)
	}
}
