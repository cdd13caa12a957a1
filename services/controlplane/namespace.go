package controlplane

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/kubernetes/pkg/controller/namespace/deletion"
)

// NamespaceController deletes the contents of terminating namespaces, so
// that per-spec namespaces go away when a spec deletes them. It drives
// kube-controller-manager's own deleter (deletion.NamespacedResourcesDeleter:
// discovery, delete every namespaced resource, drop the kubernetes
// finalizer), but not its controller's timing, which is tuned for HA
// control planes: that controller waits 5 s before it looks at a deleted
// namespace (for other API servers and etcd members to catch up: there are
// none here) and, while pods remain, looks again only after seconds. This
// one starts at once and looks again when a pod of the namespace is gone,
// or after remainingWait.
type NamespaceController struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// remainingWait is how long to wait before looking again at a namespace
// whose content is not gone yet, given the deleter's estimate in seconds
// (the longest grace period left): half of it, at least 250 ms and at most
// 2 s. A deleted pod requeues the namespace before that.
func remainingWait(estimateSeconds int64) time.Duration {
	d := time.Duration(estimateSeconds) * time.Second / 2
	return min(max(d, 250*time.Millisecond), 2*time.Second)
}

// Start runs the controller against the API server reached through cfg.
func (n *NamespaceController) Start(ctx context.Context, cfg *rest.Config) error {
	cfg = rest.AddUserAgent(rest.CopyConfig(cfg), "namespace-controller")
	// Each pass discovers every resource and deletes and lists each in
	// the namespace: many requests, all over loopback.
	cfg.QPS, cfg.Burst = 200, 400
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("namespace controller: client: %w", err)
	}
	meta, err := metadata.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("namespace controller: metadata client: %w", err)
	}
	ctx, n.cancel = context.WithCancel(context.WithoutCancel(ctx))
	factory := informers.NewSharedInformerFactory(client, 0)
	namespaces := factory.Core().V1().Namespaces()
	lister := namespaces.Lister()
	queue := workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.NewTypedItemExponentialFailureRateLimiter[string](10*time.Millisecond, 10*time.Second),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "namespace"})
	enqueueTerminating := func(obj any) {
		if ns, ok := obj.(*v1.Namespace); ok && ns.DeletionTimestamp != nil {
			queue.Add(ns.Name)
		}
	}
	handlers := []struct {
		informer cache.SharedIndexInformer
		funcs    cache.ResourceEventHandlerFuncs
	}{
		{namespaces.Informer(), cache.ResourceEventHandlerFuncs{
			AddFunc:    enqueueTerminating,
			UpdateFunc: func(_, obj any) { enqueueTerminating(obj) },
		}},
		{factory.Core().V1().Pods().Informer(), cache.ResourceEventHandlerFuncs{
			DeleteFunc: func(obj any) {
				if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
					obj = t.Obj
				}
				if pod, ok := obj.(*v1.Pod); ok {
					if ns, err := lister.Get(pod.Namespace); err == nil {
						enqueueTerminating(ns)
					}
				}
			},
		}},
	}
	for _, h := range handlers {
		if _, err := h.informer.AddEventHandler(h.funcs); err != nil {
			n.cancel()
			return fmt.Errorf("namespace controller: event handler: %w", err)
		}
	}
	deleter := deletion.NewNamespacedResourcesDeleter(ctx, client.CoreV1().Namespaces(), meta, client.CoreV1(),
		client.Discovery().ServerPreferredNamespacedResources, v1.FinalizerKubernetes)
	log := klog.FromContext(ctx).WithName("namespace-controller")
	factory.Start(ctx.Done())
	const workers = 4
	n.wg.Add(workers + 1)
	go func() {
		defer n.wg.Done()
		<-ctx.Done()
		queue.ShutDown()
		factory.Shutdown()
	}()
	for range workers {
		go func() {
			defer n.wg.Done()
			if !cache.WaitForCacheSync(ctx.Done(), handlers[0].informer.HasSynced, handlers[1].informer.HasSynced) {
				return
			}
			for processNamespace(ctx, queue, lister, deleter, log) {
			}
		}()
	}
	return nil
}

// processNamespace handles one namespace from queue; false once the queue
// is shut down.
func processNamespace(ctx context.Context, queue workqueue.TypedRateLimitingInterface[string], lister corelisters.NamespaceLister,
	deleter deletion.NamespacedResourcesDeleterInterface, log klog.Logger) bool {
	name, quit := queue.Get()
	if quit {
		return false
	}
	defer queue.Done(name)
	if _, err := lister.Get(name); apierrors.IsNotFound(err) {
		queue.Forget(name)
		return true
	}
	err := deleter.Delete(ctx, name)
	var remaining *deletion.ResourcesRemainingError
	switch {
	case err == nil:
		queue.Forget(name)
	case errors.As(err, &remaining):
		queue.Forget(name)
		queue.AddAfter(name, remainingWait(remaining.Estimate))
	case ctx.Err() != nil:
	default:
		log.Error(err, "deleting the namespace's content failed; retrying", "namespace", name)
		queue.AddRateLimited(name)
	}
	return true
}

// Stop stops the controller and its informers and waits for them.
func (n *NamespaceController) Stop() error {
	if n.cancel == nil {
		return nil
	}
	n.cancel()
	n.wg.Wait()
	return nil
}
