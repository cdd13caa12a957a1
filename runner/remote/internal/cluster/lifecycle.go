package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// rootCAConfigMap is what kube-controller-manager's root CA publisher puts
// in every namespace; the suite pods' projected token volume reads its
// ca.crt.
const rootCAConfigMap = "kube-root-ca.crt"

// rootCAWait bounds the wait for the publisher's ConfigMap before Submit
// creates it itself.
var rootCAWait = time.Second

// Submit creates r's objects in order, namespace first, so that a run
// half created is still found (and deleted) by its namespace. When no
// root CA publisher fills the namespace's kube-root-ca.crt within a few
// seconds (a control plane without kube-controller-manager, such as the
// harness's own), Submit creates it from ca, the cluster CA the runner's
// kubeconfig trusts. On error the caller deletes the run (Delete).
func Submit(ctx context.Context, cs kubernetes.Interface, r Run, ca []byte) error {
	objs, err := r.Objects()
	if err != nil {
		return err
	}
	r = r.Defaulted()
	for _, o := range objs {
		if err := createObject(ctx, cs, o); err != nil {
			return fmt.Errorf("cluster: create %s: %w", describe(o), err)
		}
		if _, ok := o.(*corev1.ServiceAccount); ok {
			if err := ensureRootCA(ctx, cs, r, ca); err != nil {
				return err
			}
		}
	}
	return nil
}

// ensureRootCA waits for the run namespace's kube-root-ca.crt, creating it
// from ca when it does not come.
func ensureRootCA(ctx context.Context, cs kubernetes.Interface, r Run, ca []byte) error {
	cms := cs.CoreV1().ConfigMaps(r.Namespace)
	deadline := time.Now().Add(rootCAWait)
	for {
		_, err := cms.Get(ctx, rootCAConfigMap, metav1.GetOptions{})
		if err == nil {
			return nil
		}
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("cluster: read %s/%s: %w", r.Namespace, rootCAConfigMap, err)
		}
		if time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	if len(ca) == 0 {
		return fmt.Errorf("cluster: namespace %s has no %s ConfigMap after %v (no root CA publisher) and the kubeconfig names no CA to create it from", r.Namespace, rootCAConfigMap, rootCAWait)
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: rootCAConfigMap, Namespace: r.Namespace, Labels: runLabels(r.ID)},
		Data:       map[string]string{"ca.crt": string(ca)},
	}
	if _, err := cms.Create(ctx, cm, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("cluster: create %s/%s: %w", r.Namespace, rootCAConfigMap, err)
	}
	return nil
}

// Annotate merges annotations into run id's namespace.
func Annotate(ctx context.Context, cs kubernetes.Interface, id string, annotations map[string]string) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": annotations}})
	if err != nil {
		return err
	}
	if _, err := cs.CoreV1().Namespaces().Patch(ctx, NamespaceName(id), types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("cluster: annotate namespace %s: %w", NamespaceName(id), err)
	}
	return nil
}

// SetPhase sets run id's AnnotationPhase.
func SetPhase(ctx context.Context, cs kubernetes.Interface, id string, p Phase) error {
	return Annotate(ctx, cs, id, map[string]string{AnnotationPhase: string(p)})
}

// MarkReleased records the barrier's release: AnnotationReleased and phase
// running.
func MarkReleased(ctx context.Context, cs kubernetes.Interface, id string, at time.Time) error {
	return Annotate(ctx, cs, id, map[string]string{AnnotationReleased: at.UTC().Format(time.RFC3339Nano), AnnotationPhase: string(PhaseRunning)})
}

// deleteGrace is the suite pods' grace period on Delete: ginkgo gets
// SIGTERM and a few seconds to stop its specs.
const deleteGrace = 5

// StopSuites deletes run id's suite workloads (Jobs and suite pods, with
// a short grace period for ginkgo to stop its specs) and waits until the
// pods are gone, or ctx ends. Collecting or cancelling a run stops its
// suites before CleanNodes removes their report directories.
func StopSuites(ctx context.Context, cs kubernetes.Interface, id string) error {
	ns := NamespaceName(id)
	grace := int64(deleteGrace)
	bg := metav1.DeletePropagationBackground
	var errs []error
	keep := func(err error) {
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, err)
		}
	}
	jobs, err := cs.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{LabelSelector: RunSelector(id)})
	keep(err)
	if err == nil {
		for _, j := range jobs.Items {
			keep(cs.BatchV1().Jobs(ns).Delete(ctx, j.Name, metav1.DeleteOptions{PropagationPolicy: &bg}))
		}
	}
	pods := cs.CoreV1().Pods(ns)
	sel := metav1.ListOptions{LabelSelector: SyncSelector(id)}
	if l, err := pods.List(ctx, sel); err == nil {
		for _, p := range l.Items {
			keep(pods.Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &grace}))
		}
	} else {
		keep(err)
	}
	keep(waitGone(ctx, "the run's suite pods", func() ([]string, error) {
		l, err := pods.List(ctx, sel)
		if err != nil {
			return nil, err
		}
		return podNames(l.Items), nil
	}))
	if len(errs) > 0 {
		return fmt.Errorf("cluster: stop the suites of run %s: %w", id, errors.Join(errs...))
	}
	return nil
}

// Delete removes run id from the cluster and waits until it is gone (or
// ctx ends): first its suite workloads (StopSuites: no suite creates
// another spec namespace), then its ClusterRole and binding, then every
// namespace labelled with its run id, the run namespace and the spec
// namespaces a suite left. The node-side report directories are
// CleanNodes's. A run already gone is no error.
func Delete(ctx context.Context, cs kubernetes.Interface, id string) error {
	var errs []error
	keep := func(err error) {
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, err)
		}
	}
	keep(StopSuites(ctx, cs, id))

	runSel := metav1.ListOptions{LabelSelector: RunSelector(id)}
	if l, err := cs.RbacV1().ClusterRoleBindings().List(ctx, runSel); err == nil {
		for _, b := range l.Items {
			keep(cs.RbacV1().ClusterRoleBindings().Delete(ctx, b.Name, metav1.DeleteOptions{}))
		}
	} else {
		keep(err)
	}
	if l, err := cs.RbacV1().ClusterRoles().List(ctx, runSel); err == nil {
		for _, r := range l.Items {
			keep(cs.RbacV1().ClusterRoles().Delete(ctx, r.Name, metav1.DeleteOptions{}))
		}
	} else {
		keep(err)
	}
	nsSel := metav1.ListOptions{LabelSelector: LabelRunID + "=" + id}
	listNS := func() ([]string, error) {
		l, err := cs.CoreV1().Namespaces().List(ctx, nsSel)
		if err != nil {
			return nil, err
		}
		var names []string
		for _, n := range l.Items {
			names = append(names, n.Name)
		}
		return names, nil
	}
	if names, err := listNS(); err == nil {
		for _, n := range names {
			keep(cs.CoreV1().Namespaces().Delete(ctx, n, metav1.DeleteOptions{}))
		}
	} else {
		keep(err)
	}
	keep(waitGone(ctx, "the run's namespaces", listNS))
	if len(errs) > 0 {
		return fmt.Errorf("cluster: delete run %s: %w", id, errors.Join(errs...))
	}
	return nil
}

// waitGone polls list until it returns nothing, or ctx ends (an error
// naming what is left).
func waitGone(ctx context.Context, what string, list func() ([]string, error)) error {
	for {
		left, err := list()
		if err == nil && len(left) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("waiting for %s to go: %w", what, err)
			}
			slices.Sort(left)
			return fmt.Errorf("%s still there: %s (%w)", what, strings.Join(left, ", "), ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func podNames(pods []corev1.Pod) []string {
	var out []string
	for _, p := range pods {
		out = append(out, p.Name)
	}
	return out
}

// describe names o for an error: Kind namespace/name.
func describe(o runtime.Object) string {
	m, ok := o.(metav1.Object)
	if !ok {
		return fmt.Sprintf("%T", o)
	}
	kind := strings.TrimPrefix(fmt.Sprintf("%T", o), "*")
	if m.GetNamespace() != "" {
		return kind + " " + m.GetNamespace() + "/" + m.GetName()
	}
	return kind + " " + m.GetName()
}

// createObject creates o with the typed client.
func createObject(ctx context.Context, c kubernetes.Interface, o runtime.Object) error {
	var err error
	opts := metav1.CreateOptions{}
	switch o := o.(type) {
	case *corev1.Namespace:
		_, err = c.CoreV1().Namespaces().Create(ctx, o, opts)
	case *corev1.ServiceAccount:
		_, err = c.CoreV1().ServiceAccounts(o.Namespace).Create(ctx, o, opts)
	case *corev1.Secret:
		_, err = c.CoreV1().Secrets(o.Namespace).Create(ctx, o, opts)
	case *rbacv1.ClusterRole:
		_, err = c.RbacV1().ClusterRoles().Create(ctx, o, opts)
	case *rbacv1.ClusterRoleBinding:
		_, err = c.RbacV1().ClusterRoleBindings().Create(ctx, o, opts)
	case *batchv1.Job:
		_, err = c.BatchV1().Jobs(o.Namespace).Create(ctx, o, opts)
	case *corev1.Pod:
		_, err = c.CoreV1().Pods(o.Namespace).Create(ctx, o, opts)
	default:
		err = fmt.Errorf("unknown kind %T", o)
	}
	return err
}
