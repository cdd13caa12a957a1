package e2e_node

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/node-e2e/harness/internal/run"
)

// podGoneTimeout bounds the wait for a spec's pods to be gone after it.
const podGoneTimeout = 2 * time.Minute

// deletedNamespaces are the namespaces this process deleted; the suite
// waits for them at its end (awaitDeletedNamespaces).
var deletedNamespaces struct {
	sync.Mutex
	names []string
}

// createNamespace makes a namespace for the current spec. When the spec
// ends, its pods are deleted and awaited: the kubelet removes a pod's
// object only once its containers are stopped and its volumes and cgroups
// released, so the next spec starts on a node with nothing of this one
// running. Then the namespace is deleted without waiting: the namespace
// controller holds every deletion for a fixed 5 s before it starts, which
// would cost each spec 5 s. awaitDeletedNamespaces checks, at the end of
// the suite, that every namespace went.
func createNamespace(ctx context.Context, base string) string {
	ginkgo.GinkgoHelper()
	labels := maps.Clone(map[string]string(cfg.External.SpecNamespaceLabels))
	if labels == nil {
		labels = map[string]string{}
	}
	labels["node-e2e"] = "true" // marks every namespace of the suite
	ns := &v1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: namespacePrefix() + base + "-", Labels: labels}}
	got, err := env.client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	gomega.Expect(err).NotTo(gomega.HaveOccurred(), "create namespace")
	name := got.Name
	recordNamespace(name)
	ginkgo.DeferCleanup(func(ctx context.Context) {
		if !faulted.Load() { // else the node is gone: its pods would never finish terminating
			deletePodsAndWait(ctx, name)
		}
		err := env.client.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{})
		if apierrors.IsNotFound(err) {
			return
		}
		gomega.Expect(err).NotTo(gomega.HaveOccurred(), "delete namespace %s", name)
		deletedNamespaces.Lock()
		deletedNamespaces.names = append(deletedNamespaces.names, name)
		deletedNamespaces.Unlock()
	}, ginkgo.NodeTimeout(podGoneTimeout+time.Minute))
	return name
}

// namespacePrefix starts the names of the run's namespaces: teardown on a
// runtime shared with others removes only the pods of those namespaces.
func namespacePrefix() string {
	l := run.Layout{}
	if env.info.RunDir != "" {
		l.ID = filepath.Base(env.info.RunDir)
	}
	return l.NamespacePrefix()
}

// deletePodsAndWait deletes every pod of namespace ns (gracefully, as the
// namespace controller would) and waits until the kubelet has removed
// them all, failing with the pods left and their state.
func deletePodsAndWait(ctx context.Context, ns string) {
	ginkgo.GinkgoHelper()
	pods := env.client.CoreV1().Pods(ns)
	err := pods.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{})
	gomega.Expect(err).NotTo(gomega.HaveOccurred(), "delete the pods of namespace %s", ns)
	gomega.Eventually(ctx, func(ctx context.Context) (string, error) {
		list, err := pods.List(ctx, metav1.ListOptions{})
		if err != nil {
			return "", err
		}
		return describePods(list.Items), nil
	}).WithTimeout(podGoneTimeout).WithPolling(200*time.Millisecond).Should(gomega.BeEmpty(),
		"pods of namespace %s still exist %s after their deletion: the kubelet has not finished tearing them down (see its log in the report directory)", ns, podGoneTimeout)
}

// describePods says, one pod a line, which pods are left and in what state.
func describePods(pods []v1.Pod) string {
	var b strings.Builder
	for _, p := range pods {
		fmt.Fprintf(&b, "%s: phase %s", p.Name, p.Status.Phase)
		if p.DeletionTimestamp != nil {
			fmt.Fprintf(&b, ", deleting since %s", p.DeletionTimestamp.Format(time.RFC3339))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// awaitDeletedNamespaces waits until every namespace this process deleted
// is gone, and fails naming those that are not.
func awaitDeletedNamespaces(ctx context.Context) {
	ginkgo.GinkgoHelper()
	deletedNamespaces.Lock()
	names := slices.Clone(deletedNamespaces.names)
	deletedNamespaces.Unlock()
	if len(names) == 0 || faulted.Load() {
		return
	}
	gomega.Eventually(ctx, func(ctx context.Context) ([]string, error) {
		var left []string
		for _, n := range names {
			_, err := env.client.CoreV1().Namespaces().Get(ctx, n, metav1.GetOptions{})
			switch {
			case apierrors.IsNotFound(err):
			case err != nil:
				return nil, err
			default:
				left = append(left, n)
			}
		}
		names = left
		return left, nil
	}).WithTimeout(2*time.Minute).WithPolling(250*time.Millisecond).Should(gomega.BeEmpty(),
		"namespaces still exist 2m after their deletion (kubectl get ns <name> -o yaml shows what the namespace controller is waiting for)")
}
