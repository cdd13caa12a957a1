package controlplane

import (
	"context"
	"errors"
	"sort"
	"sync/atomic"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	schedulingapiv1 "k8s.io/kubernetes/pkg/apis/scheduling/v1"
	rbacrest "k8s.io/kubernetes/pkg/registry/rbac/rest"
	schedulingrest "k8s.io/kubernetes/pkg/registry/scheduling/rest"
	"k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac/bootstrappolicy"
)

func TestReplacedHooksAreKubeAPIServersSlowOnes(t *testing.T) {
	want := map[string]bool{"rbac/bootstrap-roles": true, "scheduling/bootstrap-system-priority-classes": true}
	if rbacrest.PostStartHookName != "rbac/bootstrap-roles" || schedulingrest.PostStartHookName != "scheduling/bootstrap-system-priority-classes" {
		t.Fatalf("upstream hook names changed: %q, %q", rbacrest.PostStartHookName, schedulingrest.PostStartHookName)
	}
	if len(replacedHooks) != len(want) {
		t.Fatalf("replacedHooks = %v, want %v", replacedHooks, want)
	}
	for _, h := range replacedHooks {
		if !want[h] {
			t.Errorf("replacedHooks holds %q, want only %v", h, want)
		}
	}
}

func TestEnsurePriorityClasses(t *testing.T) {
	ctx := context.Background()
	client := fake.NewClientset()
	for i := range 2 { // the second run finds them and is done too
		done, err := ensurePriorityClasses(ctx, client)
		if !done || err != nil {
			t.Fatalf("run %d: done=%v err=%v, want done", i+1, done, err)
		}
	}
	got, err := client.SchedulingV1().PriorityClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := schedulingapiv1.SystemPriorityClasses()
	if len(got.Items) != len(want) {
		t.Fatalf("%d PriorityClasses, want %d", len(got.Items), len(want))
	}
	for _, pc := range want {
		p, err := client.SchedulingV1().PriorityClasses().Get(ctx, pc.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("%s: %v", pc.Name, err)
		}
		if p.Value != pc.Value {
			t.Errorf("%s: value %d, want %d", pc.Name, p.Value, pc.Value)
		}
	}
}

func TestEnsureBootstrapPolicy(t *testing.T) {
	ctx := context.Background()
	// cluster-admin exists already, stripped of its rules: the
	// reconciliation must give them back.
	client := fake.NewClientset(&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "cluster-admin"}})
	for i := range 2 {
		done, err := ensureBootstrapPolicy(ctx, client)
		if !done || err != nil {
			t.Fatalf("run %d: done=%v err=%v, want done", i+1, done, err)
		}
	}

	roles, err := client.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, r := range append(bootstrappolicy.ClusterRoles(), bootstrappolicy.ControllerRoles()...) {
		want = append(want, r.Name)
	}
	var got []string
	for _, r := range roles.Items {
		got = append(got, r.Name)
		if r.Name == "cluster-admin" && len(r.Rules) == 0 {
			t.Errorf("cluster-admin has no rules: not reconciled")
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	if len(got) != len(want) {
		t.Fatalf("%d ClusterRoles, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ClusterRoles %v, want %v", got, want)
		}
	}

	bindings, err := client.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(bootstrappolicy.ClusterRoleBindings()) + len(bootstrappolicy.ControllerRoleBindings()); len(bindings.Items) != n {
		t.Errorf("%d ClusterRoleBindings, want %d", len(bindings.Items), n)
	}
	for ns, rs := range bootstrappolicy.NamespaceRoles() {
		for _, r := range rs {
			if _, err := client.RbacV1().Roles(ns).Get(ctx, r.Name, metav1.GetOptions{}); err != nil {
				t.Errorf("Role %s/%s: %v", ns, r.Name, err)
			}
		}
	}
	for ns, bs := range bootstrappolicy.NamespaceRoleBindings() {
		for _, b := range bs {
			if _, err := client.RbacV1().RoleBindings(ns).Get(ctx, b.Name, metav1.GetOptions{}); err != nil {
				t.Errorf("RoleBinding %s/%s: %v", ns, b.Name, err)
			}
		}
	}
}

func TestRunConcurrently(t *testing.T) {
	var ran atomic.Int32
	boom := errors.New("boom")
	var jobs []func() error
	for i := range 20 {
		jobs = append(jobs, func() error {
			ran.Add(1)
			if i%5 == 0 {
				return boom
			}
			return nil
		})
	}
	err := runConcurrently(context.Background(), 3, jobs)
	if ran.Load() != 20 {
		t.Errorf("ran %d jobs, want 20", ran.Load())
	}
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) || len(joined.Unwrap()) != 4 || !errors.Is(err, boom) {
		t.Errorf("err = %v, want the 4 failures joined", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran.Store(0)
	err = runConcurrently(ctx, 3, jobs)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v after cancel, want context.Canceled", err)
	}
}
