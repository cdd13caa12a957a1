package cluster

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/node-e2e/harness/internal/run"
	"github.com/node-e2e/harness/services/registry"
)

// objectNames lists the namespaces, ClusterRoles and ClusterRoleBindings.
func objectNames(t *testing.T, cs kubernetes.Interface) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	nss, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nss.Items {
		out = append(out, "ns/"+n.Name)
	}
	crs, _ := cs.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
	for _, r := range crs.Items {
		out = append(out, "cr/"+r.Name)
	}
	crbs, _ := cs.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	for _, r := range crbs.Items {
		out = append(out, "crb/"+r.Name)
	}
	slices.Sort(out)
	return out
}

// TestIntegrationPreflightAndReapOnTheHarnessNode runs Preflight and Reap
// against a real API server and registry: the harness's node left up.
// Preflight passes for the node within 3 s and creates nothing; bad input
// (an unknown node, replicas with Serial specs, a refused push, a user
// without the permissions) is each a usage error naming the flag, also
// within 3 s; Reap --expired deletes an expired run's namespace (through
// the namespace controller), its ClusterRole and binding and its spec
// namespace, and leaves a live run alone.
func TestIntegrationPreflightAndReapOnTheHarnessNode(t *testing.T) {
	const node = "preflight-node"
	h := harnessNode(t, node)
	l, st, admin := h.Layout, h.State, h.Admin
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	suite := filepath.Join(binDir(t), "e2e_node.test")
	reg := registry.Remote{Host: st.Registry.Host, Prefix: "preflight", Username: st.Registry.Username, Password: st.Registry.Password}
	good := PreflightOptions{
		Nodes: []string{node}, Replicas: 2, Namespace: NamespaceName("pf1"),
		Platform:  &v1.Platform{OS: "linux", Architecture: runtime.GOARCH},
		Selection: Selection{LabelFilter: "NodeConformance && !Serial && !Disruptive"}, ListSpecs: ListSpecsWith(suite),
		Registry: &reg,
	}
	// A user with only what system:basic-user gives (self reviews) and the
	// nodes' list.
	limited := limitedClient(t, ctx, admin, l)

	before := objectNames(t, admin)
	start := time.Now()
	nodes, err := Preflight(ctx, admin, good)
	took := time.Since(start)
	if err != nil || len(nodes) != 1 || nodes[0].Name != node || nodes[0].Arch != runtime.GOARCH {
		t.Fatalf("Preflight = %+v, %v", nodes, err)
	}
	t.Logf("preflight passed in %v: %+v", took.Round(time.Millisecond), nodes[0])
	if took > PreflightTimeout {
		t.Errorf("preflight took %v", took)
	}

	for _, c := range []struct {
		name string
		cs   kubernetes.Interface
		edit func(*PreflightOptions)
		flag string
		want []string
	}{
		{"unknown node", admin, func(o *PreflightOptions) { o.Nodes = []string{"nope"} }, "--nodes", []string{`"nope"`, node}},
		{"serial with replicas", admin, func(o *PreflightOptions) { o.Selection = Selection{} }, "--replicas-per-node", []string{"Serial or Disruptive"}},
		{"refused push", admin, func(o *PreflightOptions) { r := reg; r.Password = "wrong"; o.Registry = &r }, "--registry", []string{"refuses a push"}},
		{"platform", admin, func(o *PreflightOptions) { o.Platform = &v1.Platform{OS: "linux", Architecture: "s390x"} }, "--nodes", []string{node + " (linux/" + runtime.GOARCH + ")"}},
		{"permissions", limited, func(o *PreflightOptions) {}, "--kubeconfig",
			[]string{"create namespaces", "get nodes/proxy", "create jobs.batch", "create clusterroles.rbac.authorization.k8s.io", "create runtimeclasses.node.k8s.io"}},
	} {
		o := good
		c.edit(&o)
		start := time.Now()
		_, err := Preflight(ctx, c.cs, o)
		took := time.Since(start)
		var ue *UsageError
		if !errors.As(err, &ue) || ue.Flag != c.flag {
			t.Errorf("%s: Preflight = %v, want a %s usage error", c.name, err, c.flag)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q lacks %q", c.name, err, w)
			}
		}
		if took > PreflightTimeout {
			t.Errorf("%s: took %v", c.name, took)
		}
		t.Logf("%s (%v): %v", c.name, took.Round(time.Millisecond), err)
	}
	if after := objectNames(t, admin); !slices.Equal(after, before) {
		t.Errorf("preflight changed the cluster:\nbefore %v\nafter  %v", before, after)
	}

	// Granted RunnerClusterRole, the same user passes, and may create the
	// suite's and the janitor's ClusterRoles and bindings (the API
	// server's escalation check: the role holds every rule it grants).
	grantRunnerRole(t, ctx, admin, limited)
	start = time.Now()
	if _, err := Preflight(ctx, limited, good); err != nil {
		t.Errorf("Preflight as a user with RunnerClusterRole: %v", err)
	}
	t.Logf("preflight as a user with RunnerClusterRole passed in %v", time.Since(start).Round(time.Millisecond))
	createAsRunner(t, ctx, limited, node)
	before = objectNames(t, admin)

	// Reap: an expired run with a spec namespace, and a live one, each
	// with a report directory on the node that CleanNodes removes with
	// the suite image (built and pushed to the node's registry).
	ref := h.PushSuiteImage(ctx)
	now := time.Now()
	for _, o := range []struct {
		id      string
		expires time.Time
	}{{"reap-old", now.Add(-time.Minute)}, {"reap-live", now.Add(time.Hour)}} {
		ns := runNamespace(o.id, now.Add(-2*time.Hour), o.expires, node)
		ns.CreationTimestamp = metav1.Time{}
		ns.Annotations[AnnotationSuiteImage] = ref
		dir := filepath.Join(NodeRunsDir, o.id, node)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "report.tar.gz"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(filepath.Join(NodeRunsDir, o.id)) })
		if _, err := admin.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		spec := specNamespace("e2e-spec-"+o.id, o.id, now)
		spec.CreationTimestamp = metav1.Time{}
		if _, err := admin.CoreV1().Namespaces().Create(ctx, spec, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		r := Run{ID: o.id, Namespace: NamespaceName(o.id)}
		if _, err := admin.RbacV1().ClusterRoles().Create(ctx, r.ClusterRole(), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, r.ClusterRoleBinding(), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.CoreV1().Pods(ns.Name).Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "suite-x", Labels: memberLabels(o.id, Member{Node: node})},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "none"}}},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	start = time.Now()
	reaped, err := Reap(ctx, admin, ReapSelector{Expired: true, Wait: 2 * time.Minute})
	if err != nil || len(reaped) != 1 || reaped[0].RunID != "reap-old" || reaped[0].Err != nil {
		t.Fatalf("Reap = %+v, %v", reaped, err)
	}
	t.Logf("reaped %s in %v: %s; %s", reaped[0].RunID, time.Since(start).Round(time.Millisecond), reaped[0].Why, reaped[0].Note)
	if !reaped[0].NodesCleaned {
		t.Errorf("reap-old's node directory not cleaned: %s", reaped[0].Note)
	}
	for id, want := range map[string]bool{"reap-old": false, "reap-live": true} {
		if _, err := os.Stat(filepath.Join(NodeRunsDir, id)); (err == nil) != want {
			t.Errorf("%s: %s exists %v, want %v", id, filepath.Join(NodeRunsDir, id), err == nil, want)
		}
	}
	after := objectNames(t, admin)
	for _, gone := range []string{"ns/node-e2e-reap-old", "ns/e2e-spec-reap-old", "cr/node-e2e-suite-reap-old", "crb/node-e2e-suite-reap-old"} {
		if slices.Contains(after, gone) {
			t.Errorf("%s left after reap", gone)
		}
	}
	for _, kept := range []string{"ns/node-e2e-reap-live", "ns/e2e-spec-reap-live", "cr/node-e2e-suite-reap-live", "crb/node-e2e-suite-reap-live"} {
		if !slices.Contains(after, kept) {
			t.Errorf("%s (a live run) reaped", kept)
		}
	}
	reaped, err = Reap(ctx, admin, ReapSelector{RunID: "reap-live", Wait: 2 * time.Minute})
	if err != nil || len(reaped) != 1 || reaped[0].Err != nil {
		t.Fatalf("Reap(reap-live) = %+v, %v", reaped, err)
	}
	if _, err := os.Stat(filepath.Join(NodeRunsDir, "reap-live")); err == nil || !reaped[0].NodesCleaned {
		t.Errorf("reap-live's node directory left (%s)", reaped[0].Note)
	}
	if after := objectNames(t, admin); !slices.Equal(after, before) {
		t.Errorf("after reaping both runs the cluster differs:\nbefore %v\nafter  %v", before, after)
	}
}

// limitedClient is a client for a ServiceAccount that may list nodes and
// nothing else (but what every authenticated user may: self reviews).
func limitedClient(t *testing.T, ctx context.Context, admin kubernetes.Interface, l run.Layout) kubernetes.Interface {
	t.Helper()
	const name = "preflight-limited"
	if _, err := admin.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get", "list"}}}}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: name},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: "default"}}}
	if _, err := admin.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		_ = admin.RbacV1().ClusterRoleBindings().Delete(ctx, name, metav1.DeleteOptions{})
		_ = admin.RbacV1().ClusterRoles().Delete(ctx, name, metav1.DeleteOptions{})
		_ = admin.CoreV1().ServiceAccounts("default").Delete(ctx, name, metav1.DeleteOptions{})
	})
	secs := int64(600)
	tok, err := admin.CoreV1().ServiceAccounts("default").CreateToken(ctx, name, &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &secs}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", l.AdminKubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	limited := rest.AnonymousClientConfig(cfg)
	limited.BearerToken = tok.Status.Token
	return kubernetes.NewForConfigOrDie(limited)
}

// grantRunnerRole binds RunnerClusterRole to limitedClient's
// ServiceAccount.
func grantRunnerRole(t *testing.T, ctx context.Context, admin, limited kubernetes.Interface) {
	t.Helper()
	const name = "preflight-runner"
	role := RunnerClusterRole(name, WorkloadJob, true)
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: name},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "preflight-limited", Namespace: "default"}}}
	if _, err := admin.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = admin.RbacV1().ClusterRoleBindings().Delete(context.Background(), name, metav1.DeleteOptions{})
		_ = admin.RbacV1().ClusterRoles().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	// RBAC's authorizer reads from a cache: wait until the grant shows.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ok, err := review(ctx, limited, "", []Access{{Resource: "namespaces", Verb: "create"}})
		if err == nil && ok[0] {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the RunnerClusterRole grant did not show within 10s")
}

// createAsRunner creates, as a user granted RunnerClusterRole, the
// suite's and the janitor's ClusterRoles and bindings, then deletes them.
func createAsRunner(t *testing.T, ctx context.Context, limited kubernetes.Interface, node string) {
	t.Helper()
	pr := Run{ID: "pf1", Namespace: NamespaceName("pf1"), Nodes: []string{node}}
	jan := pr.JanitorObjects("")
	for _, o := range []struct {
		create func() error
		del    func() error
	}{
		{func() error {
			_, err := limited.RbacV1().ClusterRoles().Create(ctx, pr.ClusterRole(), metav1.CreateOptions{})
			return err
		},
			func() error {
				return limited.RbacV1().ClusterRoles().Delete(ctx, pr.clusterRoleName(), metav1.DeleteOptions{})
			}},
		{func() error {
			_, err := limited.RbacV1().ClusterRoleBindings().Create(ctx, pr.ClusterRoleBinding(), metav1.CreateOptions{})
			return err
		},
			func() error {
				return limited.RbacV1().ClusterRoleBindings().Delete(ctx, pr.clusterRoleName(), metav1.DeleteOptions{})
			}},
		{func() error {
			_, err := limited.RbacV1().ClusterRoles().Create(ctx, jan[1].(*rbacv1.ClusterRole), metav1.CreateOptions{})
			return err
		},
			func() error {
				return limited.RbacV1().ClusterRoles().Delete(ctx, pr.janitorRoleName(), metav1.DeleteOptions{})
			}},
		{func() error {
			_, err := limited.RbacV1().ClusterRoleBindings().Create(ctx, jan[2].(*rbacv1.ClusterRoleBinding), metav1.CreateOptions{})
			return err
		},
			func() error {
				return limited.RbacV1().ClusterRoleBindings().Delete(ctx, pr.janitorRoleName(), metav1.DeleteOptions{})
			}},
	} {
		// Created in order (a binding's escalation check reads its role),
		// deleted at once.
		if err := o.create(); err != nil {
			t.Errorf("as a user with RunnerClusterRole, create: %v", err)
			continue
		}
		defer func() {
			if err := o.del(); err != nil {
				t.Errorf("as a user with RunnerClusterRole, delete: %v", err)
			}
		}()
	}
}
