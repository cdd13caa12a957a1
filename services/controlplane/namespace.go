package controlplane

import (
	"context"
	"fmt"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	namespacecontroller "k8s.io/kubernetes/pkg/controller/namespace"
)

// NamespaceController deletes the contents of terminating namespaces, so
// that per-spec namespaces go away when a spec deletes them.
type NamespaceController struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start runs the controller against the API server reached through cfg.
func (n *NamespaceController) Start(ctx context.Context, cfg *rest.Config) error {
	cfg = rest.AddUserAgent(rest.CopyConfig(cfg), "namespace-controller")
	// Namespace deletion discovers every resource and deletes in bulk.
	cfg.QPS, cfg.Burst = 50, 200
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("namespace controller: client: %w", err)
	}
	meta, err := metadata.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("namespace controller: metadata client: %w", err)
	}
	ctx, n.cancel = context.WithCancel(context.WithoutCancel(ctx))
	const resync = 5 * time.Minute
	factory := informers.NewSharedInformerFactory(client, resync)
	ctrl := namespacecontroller.NewNamespaceController(ctx, client, meta,
		client.Discovery().ServerPreferredNamespacedResources,
		factory.Core().V1().Namespaces(), resync, v1.FinalizerKubernetes)
	factory.Start(ctx.Done())
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		ctrl.Run(ctx, 4)
		factory.Shutdown()
	}()
	return nil
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
