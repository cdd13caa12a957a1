package cluster

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Access is one verb on one resource that a run needs.
type Access struct {
	// Group is the API group ("" for the core group).
	Group string
	// Resource is the resource, with its subresource after a slash
	// ("pods/log").
	Resource string
	Verb     string
	// Namespaced checks the verb in the run namespace rather than
	// cluster-wide.
	Namespaced bool
}

// String is "verb resource[.group]", as kubectl auth can-i takes it.
func (a Access) String() string {
	r := a.Resource
	if a.Group != "" {
		base, sub, ok := strings.Cut(r, "/")
		r = base + "." + a.Group
		if ok {
			r += "/" + sub
		}
	}
	return a.Verb + " " + r
}

func verbs(group, resource string, namespaced bool, vs ...string) []Access {
	out := make([]Access, len(vs))
	for i, v := range vs {
		out[i] = Access{Group: group, Resource: resource, Verb: v, Namespaced: namespaced}
	}
	return out
}

// RunnerAccess is what the runner itself does with the kubeconfig's user:
// create the run's objects (namespace, ServiceAccounts, ClusterRoles and
// bindings, Jobs or pods, the janitor's and the node cleaners' pods),
// release the barrier (patch pods), follow and collect (pods, their logs,
// the kubelet's /logs/ through nodes/proxy, events), find runs (list
// namespaces and cluster objects by label) and delete all of it.
func RunnerAccess(w Workload) []Access {
	var a []Access
	a = append(a, verbs("", "namespaces", false, "create", "get", "list", "patch", "delete")...)
	a = append(a, verbs("", "nodes", false, "get", "list")...)
	a = append(a, verbs("", "nodes/proxy", false, "get")...)
	a = append(a, verbs("", "serviceaccounts", true, "create", "delete")...)
	a = append(a, verbs("", "pods", true, "create", "get", "list", "watch", "patch", "delete")...)
	a = append(a, verbs("", "pods/log", true, "get")...)
	a = append(a, verbs("", "events", true, "list")...)
	// kube-root-ca.crt, created by Submit where no root CA publisher runs.
	a = append(a, verbs("", "configmaps", true, "get", "create")...)
	if w != WorkloadPod {
		a = append(a, verbs("batch", "jobs", true, "create", "get", "list", "watch", "delete")...)
	}
	for _, r := range []string{"clusterroles", "clusterrolebindings"} {
		a = append(a, verbs("rbac.authorization.k8s.io", r, false, "create", "list", "delete")...)
	}
	return a
}

// SuiteAccess is the suite ClusterRole's rules (suiteRules) one verb and
// resource at a time: the API server lets a user create a ClusterRole (and
// bind it) only with every permission it grants (unless the user may
// escalate and bind), so the runner's user must hold them cluster-wide.
func SuiteAccess() []Access {
	var a []Access
	for _, rule := range suiteRules {
		for _, g := range rule.APIGroups {
			for _, r := range rule.Resources {
				a = append(a, verbs(g, r, false, rule.Verbs...)...)
			}
		}
	}
	return a
}

// accessJobs is how many reviews are in flight at once.
const accessJobs = 8

// CheckAccess asks the API server whether the kubeconfig's user may do
// everything RunnerAccess(w), extra and SuiteAccess list, namespaced ones
// in namespace (cluster-wide when empty). A user who may escalate and bind
// ClusterRoles need not hold the suite's rules. Everything denied is
// listed in one *UsageError.
//
// One SelfSubjectRulesReview answers most of it: the rules RBAC gives the
// user in the run namespace (which does not exist yet, so they are the
// cluster-wide ones). What those rules do not allow is asked one
// SelfSubjectAccessReview each only when the review says it is incomplete
// (another authorizer, such as a cloud's IAM webhook, may allow more), or
// when the rules review itself fails. A client's default rate limit (5
// requests a second) would make 80 reviews take 16 s.
func CheckAccess(ctx context.Context, cs kubernetes.Interface, namespace string, w Workload, extra ...Access) error {
	need := append(RunnerAccess(w), extra...)
	rbac := "rbac.authorization.k8s.io"
	esc := []Access{{Group: rbac, Resource: "clusterroles", Verb: "escalate"}, {Group: rbac, Resource: "clusterroles", Verb: "bind"}}
	can := &accessChecker{cs: cs, namespace: namespace}
	allowed, err := can.check(ctx, append(slices.Clone(need), esc...))
	if err != nil {
		return err
	}
	var denied []Access
	for i, a := range need {
		if !allowed[i] {
			denied = append(denied, a)
		}
	}
	if !allowed[len(need)] || !allowed[len(need)+1] {
		suite := SuiteAccess()
		ok, err := can.check(ctx, suite)
		if err != nil {
			return err
		}
		for i, a := range suite {
			if !ok[i] && !slices.Contains(denied, a) {
				denied = append(denied, a)
			}
		}
	}
	if len(denied) == 0 {
		return nil
	}
	where := "cluster-wide"
	if namespace != "" {
		where = "namespaced ones in " + namespace + ", the others cluster-wide"
	}
	list := make([]string, len(denied))
	for i, a := range denied {
		list[i] = a.String()
	}
	return usage("--kubeconfig", "grant them to the user (a ClusterRole and ClusterRoleBinding; the runner's README lists them) or use --context of a user who has them",
		"the user may not %s (%s)", strings.Join(list, ", "), where)
}

// accessChecker answers from one SelfSubjectRulesReview, asking a
// SelfSubjectAccessReview for what its rules do not settle.
type accessChecker struct {
	cs        kubernetes.Interface
	namespace string
	reviewed  bool
	rules     []authorizationv1.ResourceRule
	// settled: the rules review is complete (RBAC alone decides), so
	// what its rules do not allow is denied.
	settled bool
}

// rulesNamespace is where the rules are reviewed without a run namespace:
// one that does not exist, so that only cluster-wide rules count.
const rulesNamespace = "node-e2e-preflight"

func (c *accessChecker) check(ctx context.Context, as []Access) ([]bool, error) {
	if !c.reviewed {
		c.reviewed = true
		ns := c.namespace
		if ns == "" {
			ns = rulesNamespace
		}
		r, err := c.cs.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx,
			&authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: ns}}, metav1.CreateOptions{})
		if err == nil {
			c.rules, c.settled = r.Status.ResourceRules, !r.Status.Incomplete && r.Status.EvaluationError == ""
		}
	}
	allowed := make([]bool, len(as))
	var ask []Access
	var at []int
	for i, a := range as {
		if slices.ContainsFunc(c.rules, func(r authorizationv1.ResourceRule) bool { return ruleAllows(r, a) }) {
			allowed[i] = true
		} else if !c.settled {
			ask, at = append(ask, a), append(at, i)
		}
	}
	if len(ask) > 0 {
		ok, err := review(ctx, c.cs, c.namespace, ask)
		if err != nil {
			return nil, err
		}
		for j, i := range at {
			allowed[i] = ok[j]
		}
	}
	return allowed, nil
}

// ruleAllows reports whether r grants a, as RBAC matches rules: "*"
// matches any group, resource or verb, "pods/*" any subresource of pods,
// "*/log" that subresource of any resource; a rule limited to
// resourceNames grants nothing general.
func ruleAllows(r authorizationv1.ResourceRule, a Access) bool {
	if len(r.ResourceNames) > 0 {
		return false
	}
	if !slices.Contains(r.Verbs, a.Verb) && !slices.Contains(r.Verbs, "*") {
		return false
	}
	if !slices.Contains(r.APIGroups, a.Group) && !slices.Contains(r.APIGroups, "*") {
		return false
	}
	base, sub, hasSub := strings.Cut(a.Resource, "/")
	return slices.ContainsFunc(r.Resources, func(res string) bool {
		switch {
		case res == "*" || res == a.Resource:
			return true
		case hasSub:
			return res == base+"/*" || res == "*/"+sub
		}
		return false
	})
}

// review runs one SelfSubjectAccessReview per access, a few at a time,
// and reports which are allowed.
func review(ctx context.Context, cs kubernetes.Interface, namespace string, as []Access) ([]bool, error) {
	allowed := make([]bool, len(as))
	errs := make([]error, len(as))
	sem := make(chan struct{}, accessJobs)
	var wg sync.WaitGroup
	for i, a := range as {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			res, sub, _ := strings.Cut(a.Resource, "/")
			attr := &authorizationv1.ResourceAttributes{Group: a.Group, Resource: res, Subresource: sub, Verb: a.Verb}
			if a.Namespaced {
				attr.Namespace = namespace
			}
			r, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx,
				&authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: attr}},
				metav1.CreateOptions{})
			if err != nil {
				errs[i] = err
				return
			}
			allowed[i] = r.Status.Allowed
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, apiUsage(ctx, fmt.Sprintf("review access (%s)", as[i]), err)
		}
	}
	return allowed, nil
}

// RunnerClusterRole is a ClusterRole granting exactly what Preflight
// checks for workload w and registry credentials (secrets create):
// RunnerAccess, the namespaced part cluster-wide, and SuiteAccess. An
// administrator binds it to the runner's user.
func RunnerClusterRole(name string, w Workload, registryCredentials bool) *rbacv1.ClusterRole {
	need := RunnerAccess(w)
	if registryCredentials {
		need = append(need, Access{Resource: "secrets", Verb: "create", Namespaced: true})
	}
	need = append(need, SuiteAccess()...)
	type key struct{ group, resource string }
	var order []key
	verbsOf := map[key][]string{}
	for _, a := range need {
		k := key{a.Group, a.Resource}
		if _, ok := verbsOf[k]; !ok {
			order = append(order, k)
		}
		if !slices.Contains(verbsOf[k], a.Verb) {
			verbsOf[k] = append(verbsOf[k], a.Verb)
		}
	}
	role := &rbacv1.ClusterRole{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
	}
	for _, k := range order {
		role.Rules = append(role.Rules, rbacv1.PolicyRule{APIGroups: []string{k.group}, Resources: []string{k.resource}, Verbs: verbsOf[k]})
	}
	return role
}
