package controlplane

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

// conditionTaints maps a Node condition's status to the NoSchedule taint
// the node lifecycle controller keeps on a node in that state (its
// "taint nodes by condition" pass).
var conditionTaints = map[v1.NodeConditionType]map[v1.ConditionStatus]string{
	v1.NodeReady:              {v1.ConditionFalse: v1.TaintNodeNotReady, v1.ConditionUnknown: v1.TaintNodeUnreachable},
	v1.NodeMemoryPressure:     {v1.ConditionTrue: v1.TaintNodeMemoryPressure},
	v1.NodeDiskPressure:       {v1.ConditionTrue: v1.TaintNodeDiskPressure},
	v1.NodeNetworkUnavailable: {v1.ConditionTrue: v1.TaintNodeNetworkUnavailable},
	v1.NodePIDPressure:        {v1.ConditionTrue: v1.TaintNodePIDPressure},
}

// managedTaint reports whether t is one the controller adds and removes:
// a NoSchedule condition taint or the unschedulable taint.
func managedTaint(t v1.Taint) bool {
	if t.Effect != v1.TaintEffectNoSchedule {
		return false
	}
	if t.Key == v1.TaintNodeUnschedulable {
		return true
	}
	for _, m := range conditionTaints {
		for _, key := range m {
			if key == t.Key {
				return true
			}
		}
	}
	return false
}

// DesiredConditionTaints are the NoSchedule taints node should carry for
// its conditions and spec.unschedulable, sorted by key. A node that has
// not posted a Ready condition yet is not ready.
func DesiredConditionTaints(node *v1.Node) []v1.Taint {
	var keys []string
	ready := false
	for _, c := range node.Status.Conditions {
		if c.Type == v1.NodeReady {
			ready = true
		}
		if key, ok := conditionTaints[c.Type][c.Status]; ok {
			keys = append(keys, key)
		}
	}
	if !ready {
		keys = append(keys, v1.TaintNodeNotReady)
	}
	if node.Spec.Unschedulable {
		keys = append(keys, v1.TaintNodeUnschedulable)
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	out := make([]v1.Taint, 0, len(keys))
	for _, k := range keys {
		out = append(out, v1.Taint{Key: k, Effect: v1.TaintEffectNoSchedule})
	}
	return out
}

// ReconcileTaints returns current with its managed taints replaced by
// desired, keeping every other taint (and the time an existing managed
// taint was added), and whether anything changed.
func ReconcileTaints(current, desired []v1.Taint) ([]v1.Taint, bool) {
	var out []v1.Taint
	changed := false
	for _, t := range current {
		if managedTaint(t) && !slices.ContainsFunc(desired, func(d v1.Taint) bool { return d.Key == t.Key }) {
			changed = true
			continue
		}
		out = append(out, t)
	}
	for _, d := range desired {
		if !slices.ContainsFunc(out, func(t v1.Taint) bool { return t.Key == d.Key && t.Effect == d.Effect }) {
			d.TimeAdded = &metav1.Time{Time: time.Now()}
			out = append(out, d)
			changed = true
		}
	}
	return out, changed
}

// NodeTaintController keeps each Node's condition taints in step with its
// conditions, as the node lifecycle controller of a cluster does: a Ready
// node loses the not-ready taint the API server's TaintNodesByCondition
// admission put on it at registration, and gets it back when it stops
// being Ready. It manages NoSchedule taints only: no NoExecute taint, so
// no pod is ever evicted by it.
type NodeTaintController struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start watches the Nodes through cfg and reconciles each on every change.
func (n *NodeTaintController) Start(ctx context.Context, cfg *rest.Config) error {
	cfg = rest.AddUserAgent(rest.CopyConfig(cfg), "node-taint-controller")
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("node taint controller: client: %w", err)
	}
	log := klog.FromContext(ctx).WithName("node-taint-controller")
	ctx, n.cancel = context.WithCancel(context.WithoutCancel(ctx))
	factory := informers.NewSharedInformerFactory(client, 0)
	nodes := factory.Core().V1().Nodes()
	queue := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	enqueue := func(obj any) {
		if node, ok := obj.(*v1.Node); ok {
			queue.Add(node.Name)
		}
	}
	if _, err := nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
	}); err != nil {
		n.cancel()
		return fmt.Errorf("node taint controller: watch nodes: %w", err)
	}
	factory.Start(ctx.Done())
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		defer factory.Shutdown()
		go func() { <-ctx.Done(); queue.ShutDown() }()
		cache.WaitForCacheSync(ctx.Done(), nodes.Informer().HasSynced)
		for {
			name, quit := queue.Get()
			if quit {
				return
			}
			if err := reconcileNode(ctx, client, nodes.Lister(), name); err != nil && ctx.Err() == nil {
				log.Error(err, "reconcile taints; retrying", "node", name)
				queue.AddRateLimited(name)
			} else {
				queue.Forget(name)
			}
			queue.Done(name)
		}
	}()
	return nil
}

// reconcileNode brings one Node's managed taints in line with its
// conditions. The informer's copy tells whether anything is to do; the
// update is made on a fresh read, again after a conflict.
func reconcileNode(ctx context.Context, client kubernetes.Interface, lister corelisters.NodeLister, name string) error {
	if cached, err := lister.Get(name); err == nil {
		if _, changed := ReconcileTaints(cached.Spec.Taints, DesiredConditionTaints(cached)); !changed {
			return nil
		}
	}
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		node, err := client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		taints, changed := ReconcileTaints(node.Spec.Taints, DesiredConditionTaints(node))
		if !changed {
			return nil
		}
		node.Spec.Taints = taints
		_, err = client.CoreV1().Nodes().Update(ctx, node, metav1.UpdateOptions{})
		return err
	})
}

// Stop stops the controller and its informer and waits for them.
func (n *NodeTaintController) Stop() error {
	if n.cancel == nil {
		return nil
	}
	n.cancel()
	n.wg.Wait()
	return nil
}
