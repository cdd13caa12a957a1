package cluster

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// The janitor deletes a run whose runner never came back: a pod in the
// run namespace that sleeps until the run's expiry (Run.Expires) and then
// deletes, with its own ServiceAccount's token, the suite's ClusterRole
// and binding, the run namespace (and with it every namespaced object of
// the run, itself included), and last its own ClusterRoleBinding. Its
// ClusterRole allows nothing but these deletions, by name.
//
// The image has no other HTTP client that can send DELETE to a current
// API server: busybox wget sends only GET and POST, and busybox 1.35's
// ssl_client (with nc) speaks TLS 1.2 without the signature_algorithms
// extension, which Go 1.25 and later servers refuse ("tls: missing
// signature_algorithms from TLS 1.2 peer"; TestBusyboxCannotDeleteOverTLSFromGoServers).
// So the pod runs e2e_node.test's janitor mode (e2e_node/janitor):
//
//	e2e_node.test --janitor-at=<unix seconds> --janitor-delete=<path>,... \
//	  --host=<API URL> --bearer-token-file=<f> --host-ca-file=<f>
//
// sleep until the time, then DELETE each API path in order (404 counts as
// gone, anything else is retried every 10 s, the token re-read each time).
const (
	janitorName = "node-e2e-janitor"
	janitorRole = "janitor"
)

// janitorScript is the janitor container's script (busybox sh): the API
// server's URL as the suite's entrypoint finds it, then the janitor mode.
const janitorScript = `set -u
api="${NODE_E2E_API_SERVER:-}"
if [ -z "$api" ]; then
  h="$KUBERNETES_SERVICE_HOST"
  case "$h" in *:*) h="[$h]";; esac
  api="https://$h:$KUBERNETES_SERVICE_PORT"
fi
exec ` + suiteBinary + ` "--janitor-at=$NODE_E2E_EXPIRES" "--janitor-delete=$NODE_E2E_DELETE" "--host=$api" ` +
	`"--bearer-token-file=` + tokenDir + `/token" "--host-ca-file=` + tokenDir + `/ca.crt"
`

// janitorDeletes are the API paths the janitor deletes, in order.
func (r Run) janitorDeletes() []string {
	rbac := "/apis/rbac.authorization.k8s.io/v1/"
	return []string{
		rbac + "clusterrolebindings/" + r.clusterRoleName(),
		rbac + "clusterroles/" + r.clusterRoleName(),
		"/api/v1/namespaces/" + r.Namespace,
		rbac + "clusterrolebindings/" + r.janitorRoleName(),
	}
}

// janitorRoleName is the janitor's ClusterRole's (and binding's) name.
func (r Run) janitorRoleName() string { return "node-e2e-janitor-" + r.ID }

// janitorLabels are the run's labels and the janitor's role.
func (r Run) janitorLabels() map[string]string {
	l := runLabels(r.ID)
	l[LabelRole] = janitorRole
	return l
}

// JanitorObjects renders the janitor, in creation order: its
// ServiceAccount, ClusterRole, ClusterRoleBinding and pod. Create them
// after the run namespace, whose uid (when not empty) becomes the owner
// of the ClusterRole and binding: the garbage collector deletes them once
// the namespace is gone (the janitor cannot delete its own ClusterRole
// after its binding; without a garbage collector, reap finds them by
// label). The pod runs on the run's first node (no scheduler needed).
// r must be valid and have Created set (the expiry is its wake-up time).
func (r Run) JanitorObjects(namespaceUID types.UID) []runtime.Object {
	r = r.Defaulted()
	return []runtime.Object{r.janitorServiceAccount(), r.janitorClusterRole(namespaceUID), r.janitorClusterRoleBinding(namespaceUID), r.JanitorPod()}
}

func (r Run) janitorOwner(uid types.UID) []metav1.OwnerReference {
	if uid == "" {
		return nil
	}
	return []metav1.OwnerReference{{APIVersion: "v1", Kind: "Namespace", Name: r.Namespace, UID: uid}}
}

func (r Run) janitorServiceAccount() *corev1.ServiceAccount {
	no := false
	return &corev1.ServiceAccount{
		TypeMeta:                     metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta:                   metav1.ObjectMeta{Name: janitorName, Namespace: r.Namespace, Labels: r.janitorLabels()},
		AutomountServiceAccountToken: &no,
	}
}

// janitorRules allow deleting the run namespace, the suite's ClusterRole
// and binding, and the janitor's own binding, each by name; nothing else.
func (r Run) janitorRules() []rbacv1.PolicyRule {
	rbac := "rbac.authorization.k8s.io"
	return []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"delete"}, ResourceNames: []string{r.Namespace}},
		{APIGroups: []string{rbac}, Resources: []string{"clusterroles"}, Verbs: []string{"delete"}, ResourceNames: []string{r.clusterRoleName()}},
		{APIGroups: []string{rbac}, Resources: []string{"clusterrolebindings"}, Verbs: []string{"delete"}, ResourceNames: []string{r.clusterRoleName(), r.janitorRoleName()}},
	}
}

func (r Run) janitorClusterRole(uid types.UID) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
		ObjectMeta: metav1.ObjectMeta{Name: r.janitorRoleName(), Labels: r.janitorLabels(), OwnerReferences: r.janitorOwner(uid)},
		Rules:      r.janitorRules(),
	}
}

func (r Run) janitorClusterRoleBinding(uid types.UID) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: r.janitorRoleName(), Labels: r.janitorLabels(), OwnerReferences: r.janitorOwner(uid)},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: r.janitorRoleName()},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: janitorName, Namespace: r.Namespace}},
	}
}

// JanitorPod is the janitor's pod: the suite image running janitorScript
// on the host's network (as the suite pods: the API server is reached as
// they reach it, APIServer included), restarted on failure, with a projected token the kubelet
// keeps fresh (an hour's, rotated) however long the run lives.
func (r Run) JanitorPod() *corev1.Pod {
	r = r.Defaulted()
	no := false
	tokenSeconds := int64(3600)
	grace := int64(5)
	node := ""
	if len(r.Nodes) > 0 {
		node = r.Nodes[0]
	}
	pod := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: janitorName, Namespace: r.Namespace, Labels: r.janitorLabels()},
		Spec: corev1.PodSpec{
			NodeName:                      node,
			HostNetwork:                   true,
			DNSPolicy:                     corev1.DNSClusterFirstWithHostNet,
			RestartPolicy:                 corev1.RestartPolicyOnFailure,
			ServiceAccountName:            janitorName,
			AutomountServiceAccountToken:  &no,
			TerminationGracePeriodSeconds: &grace,
			Tolerations:                   []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			Containers: []corev1.Container{{
				Name:    "janitor",
				Image:   r.SuiteImage,
				Command: []string{"/bin/sh", "-c", janitorScript, "node-e2e-janitor"},
				Env: []corev1.EnvVar{
					{Name: "NODE_E2E_RUN_ID", Value: r.ID},
					{Name: "NODE_E2E_EXPIRES", Value: strconv.FormatInt(r.Expires().Unix(), 10)},
					{Name: "NODE_E2E_DELETE", Value: strings.Join(r.janitorDeletes(), ",")},
				},
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1m"), corev1.ResourceMemory: resource.MustParse("32Mi")},
					Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")},
				},
				VolumeMounts:             []corev1.VolumeMount{{Name: "token", MountPath: tokenDir, ReadOnly: true}},
				TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
				ImagePullPolicy:          corev1.PullIfNotPresent,
			}},
			Volumes: []corev1.Volume{{Name: "token", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
				{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: &tokenSeconds}},
				{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: rootCAConfigMap},
					Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
			}}}}},
		},
	}
	if r.APIServer != "" {
		c := &pod.Spec.Containers[0]
		c.Env = append(c.Env, corev1.EnvVar{Name: apiServerEnv, Value: r.APIServer})
	}
	return pod
}

// SubmitJanitor creates r's janitor (JanitorObjects) once r's namespace
// exists (its uid owns the janitor's ClusterRole and binding). r needs
// Created set: the janitor wakes at r.Expires(). The caller deletes the
// run on error, as after Submit.
func SubmitJanitor(ctx context.Context, cs kubernetes.Interface, r Run) error {
	r = r.Defaulted()
	if r.Created.IsZero() {
		return fmt.Errorf("cluster: janitor of run %s: no creation time, so no expiry", r.ID)
	}
	ns, err := cs.CoreV1().Namespaces().Get(ctx, r.Namespace, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("cluster: janitor of run %s: %w", r.ID, err)
	}
	for _, o := range r.JanitorObjects(ns.UID) {
		if err := createObject(ctx, cs, o); err != nil {
			return fmt.Errorf("cluster: create the janitor's %s: %w", describe(o), err)
		}
	}
	return nil
}
