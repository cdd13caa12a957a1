package services

import (
	"context"
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/node-e2e/harness/internal/proc"
)

// AdminClient returns a client for the run's admin kubeconfig.
func AdminClient(kubeconfig string) (kubernetes.Interface, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = 50, 100
	return kubernetes.NewForConfig(cfg)
}

// NodeReadyStatus returns whether the node is Ready and a description of
// its Ready condition.
func NodeReadyStatus(node *v1.Node) (bool, string) {
	for _, c := range node.Status.Conditions {
		if c.Type == v1.NodeReady {
			return c.Status == v1.ConditionTrue, fmt.Sprintf("Ready=%s (%s: %s)", c.Status, c.Reason, c.Message)
		}
	}
	return false, "no Ready condition yet"
}

func (n *Node) awaitNodeReady(ctx context.Context) error {
	client, err := AdminClient(n.cfg.Layout.AdminKubeconfig())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeoutCause(ctx, n.cfg.StartTimeout, fmt.Errorf("node %s not Ready after %s (--server-start-timeout)", n.cfg.NodeName, n.cfg.StartTimeout))
	defer cancel()
	last := "not registered yet"
	err = proc.Await(ctx, 200*time.Millisecond, func() (bool, error) {
		select {
		case err := <-n.kubelet.Err():
			return false, n.kubeletExitError(err)
		case err := <-n.containerdErr():
			return false, err
		case err := <-n.services.Err():
			return false, err
		default:
		}
		rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
		defer rcancel()
		node, err := client.CoreV1().Nodes().Get(rctx, n.cfg.NodeName, metav1.GetOptions{})
		if err != nil {
			last = err.Error()
			return false, nil
		}
		ready, desc := NodeReadyStatus(node)
		last = desc
		return ready, nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return proc.WithLogTail(fmt.Errorf("%w; last status: %s", err, last), "kubelet log", n.cfg.Layout.KubeletLog(), 30)
		}
		return err
	}
	return nil
}

func (n *Node) containerdErr() <-chan error {
	if n.containerd == nil {
		return nil
	}
	return n.containerd.Err()
}

// Err delivers the first unexpected exit of a node process after Start.
func (n *Node) Err() <-chan error {
	out := make(chan error, 1)
	go func() {
		select {
		case err := <-n.services.Err():
			out <- err
		case err := <-n.containerdErr():
			out <- err
		case err := <-n.kubelet.Err():
			out <- n.kubeletExitError(err)
		}
	}()
	return out
}
