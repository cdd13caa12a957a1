package services

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	watchtools "k8s.io/client-go/tools/watch"

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

// awaitNodeReady watches the Node (no poll: the Ready condition is seen
// the moment the kubelet writes it) until it is Ready, the timeout ends,
// or the kubelet, containerd or the services process dies.
func (n *Node) awaitNodeReady(ctx context.Context) error {
	client, err := AdminClient(n.cfg.Layout.AdminKubeconfig())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeoutCause(ctx, n.cfg.StartTimeout, fmt.Errorf("node %s not Ready after %s (--server-start-timeout)", n.cfg.NodeName, n.cfg.StartTimeout))
	defer cancel()
	var last atomic.Value
	last.Store("not registered yet (no Node " + n.cfg.NodeName + ")")
	lw := cache.NewListWatchFromClient(client.CoreV1().RESTClient(), "nodes", metav1.NamespaceAll,
		fields.OneTermEqualSelector("metadata.name", n.cfg.NodeName))
	done := make(chan error, 1)
	go func() {
		_, err := watchtools.UntilWithSync(ctx, lw, &v1.Node{}, nil, func(ev watch.Event) (bool, error) {
			node, ok := ev.Object.(*v1.Node)
			if !ok || ev.Type == watch.Deleted {
				return false, nil
			}
			ready, desc := NodeReadyStatus(node)
			last.Store(desc)
			return ready, nil
		})
		done <- err
	}()
	select {
	case err = <-done:
	case err := <-n.kubelet.Err():
		return n.kubeletExitError(err)
	case err := <-n.containerdErr():
		return err
	case err := <-n.services.Err():
		return err
	}
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return n.withKubeletLogTail(fmt.Errorf("%w; last status: %s", context.Cause(ctx), last.Load()), 30)
	}
	return fmt.Errorf("watching node %s: %w", n.cfg.NodeName, err)
}

func (n *Node) containerdErr() <-chan error {
	if n.containerd == nil {
		return nil
	}
	return n.containerd.Err()
}

// Watch watches the node's processes until ctx ends (it then returns nil)
// or one of them dies for good, and returns that death, naming the process
// and carrying its log tail, or one prints a panic, a fatal runtime error
// or a data race report (a *proc.Alarm, quoting it), dead or alive. A
// harness-managed containerd that dies is started again when
// restartRuntime is set; the kubelet's own restarts are kubelet mode's
// business (--restart-kubelet). Stop must not run while Watch does: cancel
// ctx and wait for Watch to return first.
func (n *Node) Watch(ctx context.Context, restartRuntime bool) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case err, ok := <-n.services.Err():
			if !ok {
				return nil
			}
			if proc.IsAlarm(err) {
				return fmt.Errorf("the services process (etcd, kube-apiserver, namespace controller): %w", err)
			}
			return fmt.Errorf("the services process (etcd, kube-apiserver, namespace controller) died during the run: %w", err)
		case err, ok := <-n.kubelet.Err():
			if !ok {
				return nil
			}
			if proc.IsAlarm(err) { // in kubelet mode's own output
				return fmt.Errorf("kubelet mode (the process supervising the kubelet): %w", err)
			}
			if b, rerr := os.ReadFile(n.cfg.Layout.KubeletAlarmFile()); rerr == nil {
				// Kubelet mode stopped a kubelet that printed a panic.
				return fmt.Errorf("%s\n  (kubelet mode stopped the kubelet and ended: %v)", bytes.TrimSpace(b), proc.ExitSummary(err))
			}
			return fmt.Errorf("the kubelet died during the run: %w", n.kubeletExitError(err))
		case err, ok := <-n.containerdErr():
			if !ok {
				return nil
			}
			if proc.IsAlarm(err) { // a panic or a race is not healed by a restart
				return err
			}
			if !restartRuntime {
				return fmt.Errorf("containerd died during the run (pass --restart-kubelet to have the harness restart it): %w", err)
			}
			n.log.Info("containerd died; starting it again (--restart-kubelet)", "exit", err)
			if rerr := n.restartContainerd(ctx); rerr != nil {
				return fmt.Errorf("containerd died during the run: %w; starting it again failed: %w", err, rerr)
			}
		}
	}
}

// restartContainerd starts the harness's containerd again on its old state.
func (n *Node) restartContainerd(ctx context.Context) error {
	err := n.containerd.Start(ctx, n.cniConfig())
	n.state.ContainerdPid = n.containerd.Pid()
	return errors.Join(err, n.saveState())
}
