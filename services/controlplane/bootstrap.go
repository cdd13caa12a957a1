package controlplane

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/kubernetes"
	"k8s.io/component-helpers/auth/rbac/reconciliation"
	"k8s.io/klog/v2"
	schedulingapiv1 "k8s.io/kubernetes/pkg/apis/scheduling/v1"
	rbacrest "k8s.io/kubernetes/pkg/registry/rbac/rest"
	schedulingrest "k8s.io/kubernetes/pkg/registry/scheduling/rest"
	"k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac/bootstrappolicy"
)

// kube-apiserver writes the bootstrap RBAC policy and the system
// PriorityClasses from two post-start hooks that retry with
// wait.Poll(1s, ...), which sleeps its interval before the first try: /readyz
// waits for both, so every start costs at least one idle second. The
// services process turns those two hooks off (replacedHooks) and runs its
// own in their place (addBootstrapHooks): the same objects, from the same
// bootstrappolicy and scheduling packages of the pinned k8s.io/kubernetes,
// reconciled the same way (k8s.io/component-helpers' reconciliation), first
// tried at once and then every bootstrapRetry. Their names, prefixed
// node-e2e/, are /readyz checks as the originals were.
//
// Left out of the originals: migrating roles from names of older releases
// (ClusterRolesToAggregate, ClusterRoleBindingsToSplit), which matters only
// to etcd data written by an older kube-apiserver; the services process
// always starts on an empty etcd.

// replacedHooks are the post-start hooks of kube-apiserver that
// addBootstrapHooks replaces.
var replacedHooks = []string{rbacrest.PostStartHookName, schedulingrest.PostStartHookName}

const (
	bootstrapRetry   = 50 * time.Millisecond
	bootstrapTimeout = 30 * time.Second
	// bootstrapWorkers reconcile objects concurrently: each is a get and
	// usually a create, over loopback.
	bootstrapWorkers = 8
)

// addBootstrapHooks registers the replacements of replacedHooks on s.
func addBootstrapHooks(s *genericapiserver.GenericAPIServer) error {
	hooks := map[string]func(context.Context, kubernetes.Interface) (bool, error){
		"node-e2e/bootstrap-roles":                   ensureBootstrapPolicy,
		"node-e2e/bootstrap-system-priority-classes": ensurePriorityClasses,
	}
	for name, ensure := range hooks {
		err := s.AddPostStartHook(name, func(hc genericapiserver.PostStartHookContext) error {
			start := time.Now()
			client, err := kubernetes.NewForConfig(hc.LoopbackClientConfig)
			if err != nil {
				return fmt.Errorf("%s: client: %w", name, err)
			}
			var last error
			err = wait.PollUntilContextTimeout(hc, bootstrapRetry, bootstrapTimeout, true, func(ctx context.Context) (bool, error) {
				done, err := ensure(ctx, client)
				if err != nil {
					last = err
				}
				return done, nil
			})
			if err != nil {
				return fmt.Errorf("%s: %w (last error: %v)", name, err, last)
			}
			klog.InfoS("Bootstrap objects in place", "hook", name, "duration", time.Since(start))
			return nil
		})
		if err != nil {
			return fmt.Errorf("apiserver: post-start hook %s: %w", name, err)
		}
	}
	return nil
}

// ensurePriorityClasses creates the system PriorityClasses
// (system-node-critical, system-cluster-critical) that are missing.
func ensurePriorityClasses(ctx context.Context, client kubernetes.Interface) (bool, error) {
	var errs []error
	for _, pc := range schedulingapiv1.SystemPriorityClasses() {
		_, err := client.SchedulingV1().PriorityClasses().Create(ctx, pc, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			errs = append(errs, fmt.Errorf("PriorityClass %s: %w", pc.Name, err))
		}
	}
	return len(errs) == 0, errors.Join(errs...)
}

// ensureBootstrapPolicy reconciles kube-apiserver's bootstrap RBAC policy:
// cluster roles and bindings (the controllers' among them), and the roles
// and bindings of kube-system and kube-public. Each object is first created
// (one request; on an empty etcd that is all there is to do); when that
// fails (it exists, or its namespace does not yet) the reconciliation reads
// it, creates the namespace if needed, and adds what it lacks. It reports
// done once every object reconciled; the errors of the others otherwise.
func ensureBootstrapPolicy(ctx context.Context, client kubernetes.Interface) (bool, error) {
	var jobs []func() error
	for _, r := range append(bootstrappolicy.ClusterRoles(), bootstrappolicy.ControllerRoles()...) {
		o := reconciliation.ReconcileRoleOptions{
			Role:    reconciliation.ClusterRoleRuleOwner{ClusterRole: &r},
			Client:  reconciliation.ClusterRoleModifier{Client: client.RbacV1().ClusterRoles()},
			Confirm: true,
		}
		jobs = append(jobs, func() error {
			if _, err := client.RbacV1().ClusterRoles().Create(ctx, &r, metav1.CreateOptions{}); err == nil {
				return nil
			}
			_, err := o.Run()
			return wrapName(err, "ClusterRole", "", r.Name)
		})
	}
	for _, b := range append(bootstrappolicy.ClusterRoleBindings(), bootstrappolicy.ControllerRoleBindings()...) {
		o := reconciliation.ReconcileRoleBindingOptions{
			RoleBinding: reconciliation.ClusterRoleBindingAdapter{ClusterRoleBinding: &b},
			Client:      reconciliation.ClusterRoleBindingClientAdapter{Client: client.RbacV1().ClusterRoleBindings()},
			Confirm:     true,
		}
		jobs = append(jobs, func() error {
			if _, err := client.RbacV1().ClusterRoleBindings().Create(ctx, &b, metav1.CreateOptions{}); err == nil {
				return nil
			}
			_, err := o.Run()
			return wrapName(err, "ClusterRoleBinding", "", b.Name)
		})
	}
	for _, roles := range bootstrappolicy.NamespaceRoles() {
		for _, r := range roles {
			o := reconciliation.ReconcileRoleOptions{
				Role:    reconciliation.RoleRuleOwner{Role: &r},
				Client:  reconciliation.RoleModifier{Client: client.RbacV1(), NamespaceClient: client.CoreV1().Namespaces()},
				Confirm: true,
			}
			jobs = append(jobs, func() error {
				if _, err := client.RbacV1().Roles(r.Namespace).Create(ctx, &r, metav1.CreateOptions{}); err == nil {
					return nil
				}
				_, err := o.Run()
				return wrapName(err, "Role", r.Namespace, r.Name)
			})
		}
	}
	for _, bindings := range bootstrappolicy.NamespaceRoleBindings() {
		for _, b := range bindings {
			o := reconciliation.ReconcileRoleBindingOptions{
				RoleBinding: reconciliation.RoleBindingAdapter{RoleBinding: &b},
				Client:      reconciliation.RoleBindingClientAdapter{Client: client.RbacV1(), NamespaceClient: client.CoreV1().Namespaces()},
				Confirm:     true,
			}
			jobs = append(jobs, func() error {
				if _, err := client.RbacV1().RoleBindings(b.Namespace).Create(ctx, &b, metav1.CreateOptions{}); err == nil {
					return nil
				}
				_, err := o.Run()
				return wrapName(err, "RoleBinding", b.Namespace, b.Name)
			})
		}
	}
	err := runConcurrently(ctx, bootstrapWorkers, jobs)
	return err == nil, err
}

// runConcurrently runs every job on up to n goroutines and joins their
// errors; it stops handing out jobs once ctx ends.
func runConcurrently(ctx context.Context, n int, jobs []func() error) error {
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	next := make(chan func() error)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range next {
				if err := job(); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	var stopped error
feed:
	for _, job := range jobs {
		if stopped = ctx.Err(); stopped != nil {
			break
		}
		select {
		case next <- job:
		case <-ctx.Done():
			stopped = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	return errors.Join(append(errs, stopped)...)
}

func wrapName(err error, kind, namespace, name string) error {
	if err == nil {
		return nil
	}
	if namespace != "" {
		name = namespace + "/" + name
	}
	return fmt.Errorf("%s %s.%s: %w", kind, name, rbacv1.GroupName, err)
}
