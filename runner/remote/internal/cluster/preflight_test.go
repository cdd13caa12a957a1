package cluster

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/node-e2e/harness/services/registry"
)

func node(name string, ready corev1.ConditionStatus, reason, arch string, labels map[string]string) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Status: corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready, Reason: reason, Message: "msg of " + name}},
			NodeInfo:   corev1.NodeSystemInfo{OperatingSystem: "linux", Architecture: arch, KubeletVersion: "v1.35.0"},
		},
	}
}

// fakeCluster holds three nodes (b is NotReady), answers the rules review
// with no rule (incomplete), and every SelfSubjectAccessReview with allowed unless denied names its "verb
// resource[.group]" (Access.String).
func fakeCluster(denied ...string) *fake.Clientset {
	cs := fake.NewClientset(
		node("a", corev1.ConditionTrue, "KubeletReady", "amd64", map[string]string{"pool": "x", "kubernetes.io/arch": "amd64"}),
		node("b", corev1.ConditionFalse, "KubeletNotReady", "amd64", map[string]string{"pool": "x"}),
		node("c", corev1.ConditionTrue, "KubeletReady", "arm64", map[string]string{"pool": "y"}),
	)
	// No rules, and incomplete (as under a webhook authorizer): every
	// permission is asked one access review.
	cs.PrependReactor("create", "selfsubjectrulesreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectRulesReview).DeepCopy()
		r.Status.Incomplete = true
		return true, r, nil
	})
	cs.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview)
		ra := r.Spec.ResourceAttributes
		res := ra.Resource
		if ra.Subresource != "" {
			res += "/" + ra.Subresource
		}
		s := Access{Group: ra.Group, Resource: res, Verb: ra.Verb}.String()
		r = r.DeepCopy()
		r.Status.Allowed = true
		for _, d := range denied {
			if d == s {
				r.Status.Allowed = false
			}
		}
		return true, r, nil
	})
	return cs
}

var testSpecs = []Spec{
	{Text: "Pods runs a pod", Labels: []string{"NodeConformance"}},
	{Text: "Kubelet restart brings the kubelet back", Labels: []string{"NodeConformance", "Disruptive", "Serial"}},
	{Text: "Harness node taints taints a node", Labels: []string{"Harness", "Serial"}},
	{Text: "Pods [sig-node] lists its pods", Labels: nil},
}

func listed(ctx context.Context) ([]Spec, error) { return testSpecs, nil }

func TestPreflightBadInput(t *testing.T) {
	amd64 := &v1.Platform{OS: "linux", Architecture: "amd64"}
	for _, c := range []struct {
		name   string
		o      PreflightOptions
		denied []string
		flag   string
		want   []string // in the message
	}{
		{"nodes with selector", PreflightOptions{Nodes: []string{"a"}, NodeSelector: "pool=x"}, nil, "--nodes", []string{"--node-selector", "give one"}},
		{"no nodes", PreflightOptions{}, nil, "--nodes", []string{"no node", "--nodes=all"}},
		{"all with names", PreflightOptions{Nodes: []string{"all", "a"}}, nil, "--nodes", []string{"alone"}},
		{"node twice", PreflightOptions{Nodes: []string{"a", "a"}}, nil, "--nodes", []string{`"a"`, "twice"}},
		{"unknown node", PreflightOptions{Nodes: []string{"a", "zz"}}, nil, "--nodes", []string{`"zz"`, "a, b, c"}},
		{"not ready", PreflightOptions{Nodes: []string{"a", "b"}}, nil, "--nodes", []string{"b (Ready=False KubeletNotReady: msg of b)"}},
		{"all with one not ready", PreflightOptions{Nodes: []string{"all"}}, nil, "--nodes", []string{"b (Ready=False"}},
		{"selector matches nothing", PreflightOptions{NodeSelector: "pool=z"}, nil, "--node-selector", []string{"none of the cluster's 3 nodes", "kubernetes.io/arch, pool"}},
		{"selector with a not ready node", PreflightOptions{NodeSelector: "pool=x"}, nil, "--node-selector", []string{"not Ready: b"}},
		{"bad selector", PreflightOptions{NodeSelector: "pool in ("}, nil, "--node-selector", []string{"label selector"}},
		{"platform", PreflightOptions{Nodes: []string{"a", "c"}, Platform: amd64}, nil, "--nodes", []string{"linux/amd64", "c (linux/arm64)", "GOARCH=arm64"}},
		{"replicas with serial", PreflightOptions{Nodes: []string{"a"}, Replicas: 2, ListSpecs: listed}, nil, "--replicas-per-node",
			[]string{"2 selected spec(s) are Serial or Disruptive", "Kubelet restart", "Harness node taints", "--replicas-per-node=1"}},
		{"replicas with a focused disruptive", PreflightOptions{Nodes: []string{"a"}, Replicas: 3, ListSpecs: listed, Selection: Selection{Focus: []string{"Kubelet"}}}, nil, "--replicas-per-node",
			[]string{"1 selected spec(s)", "Kubelet restart"}},
		{"replicas listing fails", PreflightOptions{Nodes: []string{"a"}, Replicas: 2, ListSpecs: func(context.Context) ([]Spec, error) { return nil, errors.New("no binary") }}, nil, "--replicas-per-node",
			[]string{"no binary"}},
		{"bad focus", PreflightOptions{Nodes: []string{"a"}, Replicas: 2, ListSpecs: listed, Selection: Selection{Focus: []string{"("}}}, nil, "--focus", []string{"regular expression"}},
		{"bad label filter", PreflightOptions{Nodes: []string{"a"}, Replicas: 2, ListSpecs: listed, Selection: Selection{LabelFilter: "(Serial"}}, nil, "--label-filter", []string{"label filter"}},
		{"permissions", PreflightOptions{Nodes: []string{"a"}, Namespace: "node-e2e-r1"}, []string{"create clusterroles.rbac.authorization.k8s.io", "get nodes/proxy", "delete jobs.batch", "create runtimeclasses.node.k8s.io", "escalate clusterroles.rbac.authorization.k8s.io"},
			"--kubeconfig", []string{"may not get nodes/proxy, delete jobs.batch, create clusterroles.rbac.authorization.k8s.io, create runtimeclasses.node.k8s.io (namespaced ones in node-e2e-r1"}},
		{"secret for the registry's credentials", PreflightOptions{Nodes: []string{"a"}, Registry: &registry.Remote{Host: "127.0.0.1:1", Username: "u", Password: "p"}},
			[]string{"create secrets", "get configmaps"}, "--kubeconfig", []string{"may not get configmaps, create secrets (cluster-wide)"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			cs := fakeCluster(c.denied...)
			_, err := Preflight(context.Background(), cs, c.o)
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("Preflight = %v, want a *UsageError", err)
			}
			t.Log(err)
			if ue.Flag != c.flag || ue.Fix == "" {
				t.Errorf("error %q names flag %q with fix %q, want %s and a fix", err, ue.Flag, ue.Fix, c.flag)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, a := range cs.Actions() {
				if r := a.GetResource().Resource; a.GetVerb() != "list" && r != "selfsubjectaccessreviews" && r != "selfsubjectrulesreviews" {
					t.Errorf("preflight did %s %s", a.GetVerb(), a.GetResource().Resource)
				}
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestPreflightPasses(t *testing.T) {
	cs := fakeCluster()
	for _, c := range []struct {
		o    PreflightOptions
		want string
	}{
		{PreflightOptions{Nodes: []string{"c", "a"}}, "a c"},
		{PreflightOptions{NodeSelector: "kubernetes.io/arch=amd64", Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}, "a"},
		{PreflightOptions{Nodes: []string{"a"}, Replicas: 4, ListSpecs: listed, Selection: Selection{LabelFilter: "!Serial && !Disruptive"}}, "a"},
		{PreflightOptions{Nodes: []string{"a"}, Replicas: 4, ListSpecs: listed, Selection: Selection{Skip: []string{"restart", "taints"}}}, "a"},
		{PreflightOptions{Nodes: []string{"a"}, Replicas: 2, ListSpecs: listed, Selection: Selection{Focus: []string{`\[sig-node\]`}}}, "a"},
	} {
		nodes, err := Preflight(context.Background(), cs, c.o)
		if err != nil {
			t.Errorf("Preflight(%+v) = %v", c.o, err)
			continue
		}
		var names []string
		for _, n := range nodes {
			names = append(names, n.Name)
		}
		if got := strings.Join(names, " "); got != c.want {
			t.Errorf("Preflight(%+v) nodes %q, want %q", c.o, got, c.want)
		}
	}
	ns, err := Preflight(context.Background(), cs, PreflightOptions{Nodes: []string{"a"}})
	if err != nil || ns[0] != (NodeInfo{Name: "a", OS: "linux", Arch: "amd64", Kubelet: "v1.35.0"}) {
		t.Errorf("Preflight = %+v, %v", ns, err)
	}
}

// TestPreflightSkipsTheSuiteRulesForAnEscalator: a user who may escalate
// and bind ClusterRoles need not hold the suite's rules.
func TestPreflightSkipsTheSuiteRulesForAnEscalator(t *testing.T) {
	cs := fakeCluster("create runtimeclasses.node.k8s.io")
	if _, err := Preflight(context.Background(), cs, PreflightOptions{Nodes: []string{"a"}}); err != nil {
		t.Errorf("Preflight = %v, want nil (the user may escalate)", err)
	}
}

// TestPreflightTimesOut: an API server that does not answer is a usage
// error on --kubeconfig within the timeout.
func TestPreflightTimesOut(t *testing.T) {
	cs := fakeCluster()
	cs.PrependReactor("list", "nodes", func(k8stesting.Action) (bool, runtime.Object, error) {
		time.Sleep(300 * time.Millisecond)
		return true, nil, context.DeadlineExceeded
	})
	start := time.Now()
	_, err := Preflight(context.Background(), cs, PreflightOptions{Nodes: []string{"a"}, Timeout: 200 * time.Millisecond})
	var ue *UsageError
	if !errors.As(err, &ue) || ue.Flag != "--kubeconfig" || !strings.Contains(err.Error(), "did not answer") {
		t.Errorf("Preflight = %v, want a --kubeconfig usage error saying the API server did not answer", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v", d)
	}
}

func TestCheckModeFlags(t *testing.T) {
	for _, c := range []struct {
		set  []string
		want string
	}{
		{[]string{"hosts", "focus"}, ""},
		{[]string{"kubeconfig", "nodes", "registry"}, ""},
		{[]string{"hosts", "nodes"}, "--hosts: cannot be combined with the cluster target's --nodes"},
		{[]string{"images", "kubeconfig", "detach"}, "--images: cannot be combined with the cluster target's --kubeconfig, --detach"},
	} {
		set := map[string]bool{}
		for _, f := range c.set {
			set[f] = true
		}
		err := CheckModeFlags(set)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("CheckModeFlags(%v) = %v", c.set, err)
		case c.want != "" && (err == nil || !strings.HasPrefix(err.Error(), c.want)):
			t.Errorf("CheckModeFlags(%v) = %v, want %q", c.set, err, c.want)
		}
	}
}

func TestCheckPlatform(t *testing.T) {
	p := v1.Platform{OS: "linux", Architecture: "amd64"}
	if err := CheckPlatform(p, []NodeInfo{{Name: "a", OS: "linux", Arch: "amd64"}, {Name: "old"}}); err != nil {
		t.Errorf("matching nodes: %v", err)
	}
	err := CheckPlatform(p, []NodeInfo{{Name: "a", OS: "linux", Arch: "arm64"}, {Name: "w", OS: "windows", Arch: "amd64"}})
	if err == nil || !strings.Contains(err.Error(), "a (linux/arm64), w (windows/amd64)") || strings.Contains(err.Error(), "GOARCH") {
		t.Errorf("CheckPlatform = %v, want both nodes named and no single build fix", err)
	}
}

// rulesCluster answers SelfSubjectRulesReviews with role's rules
// (incomplete when said) and SelfSubjectAccessReviews from full, counting
// the access reviews.
func rulesCluster(role *rbacv1.ClusterRole, incomplete bool, full *rbacv1.ClusterRole, reviews *int) *fake.Clientset {
	cs := fake.NewClientset(node("a", corev1.ConditionTrue, "KubeletReady", "amd64", nil))
	cs.PrependReactor("create", "selfsubjectrulesreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectRulesReview).DeepCopy()
		for _, p := range role.Rules {
			r.Status.ResourceRules = append(r.Status.ResourceRules, authorizationv1.ResourceRule{Verbs: p.Verbs, APIGroups: p.APIGroups, Resources: p.Resources, ResourceNames: p.ResourceNames})
		}
		r.Status.Incomplete = incomplete
		return true, r, nil
	})
	cs.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		*reviews++
		r := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview).DeepCopy()
		ra := r.Spec.ResourceAttributes
		res := ra.Resource
		if ra.Subresource != "" {
			res += "/" + ra.Subresource
		}
		for _, rule := range full.Rules {
			if slices.Contains(rule.APIGroups, ra.Group) && slices.Contains(rule.Resources, res) && slices.Contains(rule.Verbs, ra.Verb) {
				r.Status.Allowed = true
			}
		}
		return true, r, nil
	})
	return cs
}

// TestRunnerClusterRoleIsEnough: a user granted exactly RunnerClusterRole
// passes the permission check from the rules review alone; without one of
// its verbs it fails naming that verb; with an incomplete rules review,
// what the rules lack is asked one access review each.
func TestRunnerClusterRoleIsEnough(t *testing.T) {
	role := RunnerClusterRole("node-e2e-runner", WorkloadJob, true)
	secret := Access{Resource: "secrets", Verb: "create", Namespaced: true}
	n := 0
	if err := CheckAccess(context.Background(), rulesCluster(role, false, role, &n), "node-e2e-r1", WorkloadJob, secret); err != nil || n != 0 {
		t.Errorf("with RunnerClusterRole: %v after %d access reviews, want nil after none", err, n)
	}
	less := role.DeepCopy()
	for i, r := range less.Rules {
		if r.Resources[0] == "pods/exec" {
			less.Rules[i].Verbs = []string{"get"}
		}
	}
	err := CheckAccess(context.Background(), rulesCluster(less, false, role, &n), "node-e2e-r1", WorkloadJob)
	if err == nil || !strings.Contains(err.Error(), "may not create pods/exec (") || n != 0 {
		t.Errorf("without pods/exec create: %v after %d access reviews", err, n)
	}
	// Incomplete: the rules lack pods/exec create (and escalate, bind),
	// another authorizer allows it.
	if err := CheckAccess(context.Background(), rulesCluster(less, true, role, &n), "node-e2e-r1", WorkloadJob); err != nil || n != 3 {
		t.Errorf("incomplete rules: %v after %d access reviews, want nil after 3 (escalate, bind, create pods/exec)", err, n)
	}
	// Wildcards, subresource patterns and resource names, as RBAC reads them.
	for _, c := range []struct {
		rule authorizationv1.ResourceRule
		a    Access
		want bool
	}{
		{authorizationv1.ResourceRule{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}, Access{Group: "batch", Resource: "jobs", Verb: "create"}, true},
		{authorizationv1.ResourceRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods/*"}}, Access{Resource: "pods/log", Verb: "get"}, true},
		{authorizationv1.ResourceRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"*/log"}}, Access{Resource: "pods/log", Verb: "get"}, true},
		{authorizationv1.ResourceRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}, Access{Resource: "pods/log", Verb: "get"}, false},
		{authorizationv1.ResourceRule{Verbs: []string{"delete"}, APIGroups: []string{""}, Resources: []string{"namespaces"}, ResourceNames: []string{"x"}}, Access{Resource: "namespaces", Verb: "delete"}, false},
		{authorizationv1.ResourceRule{Verbs: []string{"get"}, APIGroups: []string{"apps"}, Resources: []string{"*"}}, Access{Resource: "pods", Verb: "get"}, false},
	} {
		if got := ruleAllows(c.rule, c.a); got != c.want {
			t.Errorf("ruleAllows(%+v, %s) = %v", c.rule, c.a, got)
		}
	}
}
