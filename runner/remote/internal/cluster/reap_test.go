package cluster

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
)

var reapNow = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// runNamespace is run id's namespace created at created, expiring at
// expires, testing nodes.
func runNamespace(id string, created, expires time.Time, nodes string) *corev1.Namespace {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: NamespaceName(id), Labels: runLabels(id), CreationTimestamp: metav1.NewTime(created),
		Annotations: map[string]string{
			AnnotationCreated: created.Format(time.RFC3339), AnnotationExpires: expires.Format(time.RFC3339),
			AnnotationNodes: nodes, AnnotationSuiteImage: "reg/suite@" + testDigest,
		},
	}}
	return ns
}

func specNamespace(name, id string, created time.Time) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(created),
		Labels: map[string]string{LabelRunID: id, "node-e2e": "true"}}}
}

func runRoles(id string, created time.Time) []runtime.Object {
	meta := metav1.ObjectMeta{Name: "node-e2e-suite-" + id, Labels: runLabels(id), CreationTimestamp: metav1.NewTime(created)}
	return []runtime.Object{&rbacv1.ClusterRole{ObjectMeta: meta}, &rbacv1.ClusterRoleBinding{ObjectMeta: meta}}
}

// reapCluster holds: r1, created 3 h ago and expired an hour ago, with a
// spec namespace and a suite pod; r2, created 10 min ago, expiring in an
// hour; leftovers of r0 (its ClusterRole, binding and a spec namespace,
// its run namespace gone); and objects of nobody's.
func reapCluster() *fake.Clientset {
	objs := []runtime.Object{
		runNamespace("r1", reapNow.Add(-3*time.Hour), reapNow.Add(-time.Hour), "a,b"),
		specNamespace("e2e-pods-x1", "r1", reapNow.Add(-2*time.Hour)),
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "suite-a-0-xyz", Namespace: NamespaceName("r1"), Labels: memberLabels("r1", Member{Node: "a"})}},
		runNamespace("r2", reapNow.Add(-10*time.Minute), reapNow.Add(time.Hour), "a"),
		specNamespace("e2e-pods-x0", "r0", reapNow.Add(-5*time.Hour)),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "admin"}},
	}
	objs = append(objs, runRoles("r1", reapNow.Add(-3*time.Hour))...)
	objs = append(objs, runRoles("r2", reapNow.Add(-10*time.Minute))...)
	objs = append(objs, runRoles("r0", reapNow.Add(-6*time.Hour))...)
	return fake.NewClientset(objs...)
}

// left lists the namespaces and ClusterRoles, and ClusterRoleBindings
// prefixed "crb/", that the cluster holds.
func left(t *testing.T, cs kubernetes.Interface) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	nss, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nss.Items {
		out = append(out, n.Name)
	}
	crs, _ := cs.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
	for _, r := range crs.Items {
		out = append(out, r.Name)
	}
	crbs, _ := cs.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	for _, r := range crbs.Items {
		out = append(out, "crb/"+r.Name)
	}
	slices.Sort(out)
	return out
}

// cleaner records the runs CleanNodes was called for.
type cleaner struct {
	runs []Run
	err  error
}

func (c *cleaner) clean(_ context.Context, _ kubernetes.Interface, r Run) error {
	c.runs = append(c.runs, r)
	return c.err
}

func reapedIDs(rs []Reaped) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.RunID)
	}
	return out
}

func TestReapSelects(t *testing.T) {
	r2Left := []string{"admin", "crb/node-e2e-suite-r2", "default", "node-e2e-r2", "node-e2e-suite-r2"}
	for _, c := range []struct {
		name   string
		sel    ReapSelector
		reaped []string
		left   []string
	}{
		{"expired", ReapSelector{Expired: true}, []string{"r0", "r1"}, r2Left},
		{"older than 1h", ReapSelector{OlderThan: time.Hour}, []string{"r0", "r1"}, r2Left},
		{"older than 5m", ReapSelector{OlderThan: 5 * time.Minute}, []string{"r0", "r1", "r2"}, []string{"admin", "default"}},
		{"run id", ReapSelector{RunID: "r2"}, []string{"r2"}, []string{"admin", "crb/node-e2e-suite-r0", "crb/node-e2e-suite-r1", "default", "e2e-pods-x0", "e2e-pods-x1", "node-e2e-r1", "node-e2e-suite-r0", "node-e2e-suite-r1"}},
		{"leftovers by run id", ReapSelector{RunID: "r0"}, []string{"r0"}, []string{"admin", "crb/node-e2e-suite-r1", "crb/node-e2e-suite-r2", "default", "e2e-pods-x1", "node-e2e-r1", "node-e2e-r2", "node-e2e-suite-r1", "node-e2e-suite-r2"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cs := reapCluster()
			cl := &cleaner{}
			c.sel.Now, c.sel.CleanNodes, c.sel.Wait = reapNow, cl.clean, 5*time.Second
			got, err := Reap(context.Background(), cs, c.sel)
			if err != nil {
				t.Fatal(err)
			}
			if ids := reapedIDs(got); !slices.Equal(ids, c.reaped) {
				t.Errorf("reaped %v, want %v", ids, c.reaped)
			}
			for _, r := range got {
				if r.Err != nil {
					t.Errorf("%s: %v", r.RunID, r.Err)
				}
				withNS := r.RunID != "r0"
				if r.NodesCleaned != withNS || (r.Note == "") == !withNS || (r.Namespace != "") != withNS {
					t.Errorf("%s: namespace %q nodes cleaned %v note %q", r.RunID, r.Namespace, r.NodesCleaned, r.Note)
				}
				t.Logf("%s: %s; %s", r.RunID, r.Why, r.Note)
			}
			if got := left(t, cs); !slices.Equal(got, c.left) {
				t.Errorf("left\n got %v\nwant %v", got, c.left)
			}
			for _, r := range cl.runs {
				if r.Namespace != NamespaceName(r.ID) || r.SuiteImage == "" || len(r.Nodes) == 0 {
					t.Errorf("CleanNodes got run %+v: want its namespace, suite image and nodes", r)
				}
			}
		})
	}
}

func TestReapStopsAndCleansBeforeDeleting(t *testing.T) {
	cs := reapCluster()
	var sawNamespace bool
	clean := func(ctx context.Context, cs kubernetes.Interface, r Run) error {
		_, err := cs.CoreV1().Namespaces().Get(ctx, r.Namespace, metav1.GetOptions{})
		sawNamespace = err == nil
		pods, err := cs.CoreV1().Pods(r.Namespace).List(ctx, metav1.ListOptions{LabelSelector: SyncSelector(r.ID)})
		if err != nil || len(pods.Items) != 0 {
			t.Errorf("CleanNodes ran with the suite pods still there: %v, %v", pods, err)
		}
		if !slices.Equal(r.Nodes, []string{"a", "b"}) {
			t.Errorf("CleanNodes for nodes %v, want a, b", r.Nodes)
		}
		return errors.New("node b: pod failed")
	}
	got, err := Reap(context.Background(), cs, ReapSelector{RunID: "r1", Now: reapNow, CleanNodes: clean})
	if err != nil || len(got) != 1 {
		t.Fatalf("Reap = %v, %v", got, err)
	}
	if !sawNamespace {
		t.Error("CleanNodes ran after the run namespace was deleted")
	}
	if r := got[0]; r.NodesCleaned || !strings.Contains(r.Note, "node b: pod failed") || r.Err != nil {
		t.Errorf("reaped %+v: want the cleaner's failure in Note and the run deleted", r)
	}
	if l := left(t, cs); slices.Contains(l, "node-e2e-r1") || slices.Contains(l, "e2e-pods-x1") {
		t.Errorf("r1 left: %v", l)
	}
}

func TestReapSkipsCleaningATerminatingRun(t *testing.T) {
	ns := runNamespace("r3", reapNow.Add(-time.Hour), reapNow.Add(-time.Minute), "a")
	now := metav1.NewTime(reapNow)
	ns.DeletionTimestamp = &now
	cs := fake.NewClientset(ns)
	cl := &cleaner{}
	got, err := Reap(context.Background(), cs, ReapSelector{Expired: true, Now: reapNow, CleanNodes: cl.clean})
	if err != nil || len(got) != 1 || len(cl.runs) != 0 || !strings.Contains(got[0].Note, "terminating") {
		t.Errorf("Reap = %+v, %v; cleaned %d runs: want r3 reaped without cleaning", got, err, len(cl.runs))
	}
}

func TestReapBadSelectors(t *testing.T) {
	cs := reapCluster()
	for _, sel := range []ReapSelector{{}, {RunID: "r1", Expired: true}, {OlderThan: time.Hour, Expired: true}, {OlderThan: -time.Hour}} {
		_, err := Reap(context.Background(), cs, sel)
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Errorf("Reap(%+v) = %v, want a usage error", sel, err)
		}
	}
	_, err := Reap(context.Background(), cs, ReapSelector{RunID: "nope", Now: reapNow})
	var ue *UnknownRunError
	if !errors.As(err, &ue) || !slices.Equal(ue.Known, []string{"r1", "r2"}) {
		t.Errorf("Reap(unknown) = %v, want an UnknownRunError listing r1, r2", err)
	}
	if l := left(t, cs); len(l) != 12 {
		t.Errorf("bad selectors deleted something: %v", l)
	}
}
