package cluster

import (
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// serviceAccountName is the suite pods' ServiceAccount in the run namespace.
const serviceAccountName = "node-e2e-suite"

// NamespaceObject is the run's namespace, at the privileged Pod Security
// level (enforce, audit and warn): the suite pods use the host's network,
// PID namespace and root file system.
func (r Run) NamespaceObject() *corev1.Namespace {
	r = r.Defaulted()
	l := runLabels(r.ID)
	for _, mode := range []string{"enforce", "audit", "warn"} {
		l["pod-security.kubernetes.io/"+mode] = "privileged"
	}
	return &corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: r.Namespace, Labels: l, Annotations: r.annotations()},
	}
}

// ServiceAccount is the suite pods' identity.
func (r Run) ServiceAccount() *corev1.ServiceAccount {
	r = r.Defaulted()
	no := false
	return &corev1.ServiceAccount{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta: metav1.ObjectMeta{Name: serviceAccountName, Namespace: r.Namespace, Labels: runLabels(r.ID)},
		// The pods mount a short-lived token explicitly (suiteVolumes).
		AutomountServiceAccountToken: &no,
	}
}

// clusterRoleName is the ClusterRole's (and binding's) name: per run, so
// that reaping one run never touches another's.
func (r Run) clusterRoleName() string { return "node-e2e-suite-" + r.ID }

// suiteRules is what e2e_node.test does to the API server when it tests a
// node it did not start. Derived by reading every client call in e2e_node/
// (grep for CoreV1(), NodeV1(), CoordinationV1() and RESTClient() chains,
// and the pods, nodes and namespaces interfaces they store), and in
// e2e_node/nodefacts (nodes/proxy configz); see runner/remote/README.md.
// Namespaces are cluster-scoped, so the role is a ClusterRole; the suite
// creates and deletes its own spec namespaces.
var suiteRules = []rbacv1.PolicyRule{
	// Spec namespaces: created per spec, deleted after it.
	{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get", "list", "watch", "create", "delete"}},
	// Pods: created, watched, updated (resize, ephemeral containers),
	// deleted one by one and by collection; listed across namespaces.
	{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}},
	{APIGroups: []string{""}, Resources: []string{"pods/exec"}, Verbs: []string{"create", "get"}},
	{APIGroups: []string{""}, Resources: []string{"pods/log"}, Verbs: []string{"get"}},
	{APIGroups: []string{""}, Resources: []string{"pods/ephemeralcontainers", "pods/resize"}, Verbs: []string{"update", "patch"}},
	// Spec fixtures. The suite never reads a Secret back: no get or list,
	// which a ClusterRole would grant in every namespace.
	{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"create", "delete"}},
	{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "create", "update", "delete"}},
	{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"get", "list", "watch"}},
	// The node under test: status, taints (patch), and the kubelet's
	// endpoints through the API server (stats/summary, metrics/resource,
	// configz).
	{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get", "list", "watch", "patch"}},
	{APIGroups: []string{""}, Resources: []string{"nodes/proxy"}, Verbs: []string{"get"}},
	// The node's lease in kube-node-lease (heartbeat specs).
	{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get"}},
	{APIGroups: []string{"node.k8s.io"}, Resources: []string{"runtimeclasses"}, Verbs: []string{"get", "list", "create", "delete"}},
}

// ClusterRole is what the suite may do: suiteRules.
func (r Run) ClusterRole() *rbacv1.ClusterRole {
	r = r.Defaulted()
	rules := make([]rbacv1.PolicyRule, len(suiteRules))
	for i, p := range suiteRules {
		rules[i] = *p.DeepCopy()
	}
	return &rbacv1.ClusterRole{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
		ObjectMeta: metav1.ObjectMeta{Name: r.clusterRoleName(), Labels: runLabels(r.ID)},
		Rules:      rules,
	}
}

// ClusterRoleBinding grants ClusterRole to the ServiceAccount.
func (r Run) ClusterRoleBinding() *rbacv1.ClusterRoleBinding {
	r = r.Defaulted()
	return &rbacv1.ClusterRoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: r.clusterRoleName(), Labels: runLabels(r.ID)},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: r.clusterRoleName()},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: serviceAccountName, Namespace: r.Namespace}},
	}
}
