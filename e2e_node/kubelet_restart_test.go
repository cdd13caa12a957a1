package e2e_node

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	v1 "k8s.io/api/core/v1"

	"github.com/node-e2e/harness/internal/run"
	"github.com/node-e2e/harness/services"
)

// kubeletPid is the pid of the run's kubelet, as kubelet mode recorded it.
func kubeletPid() (int, error) {
	b, err := os.ReadFile(run.Layout{Dir: env.info.RunDir}.KubeletPidFile())
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// nodeState is the ledger of the run the harness started.
func nodeState() services.NodeState {
	ginkgo.GinkgoHelper()
	var st services.NodeState
	gomega.Expect(run.ReadJSON(run.Layout{Dir: env.info.RunDir}.NodeState(), &st)).To(gomega.Succeed())
	return st
}

// awaitNewKubelet waits for a kubelet other than old to run and the Node to
// be Ready with its Lease renewed after since.
func awaitNewKubelet(ctx context.Context, old int, since time.Time) {
	ginkgo.GinkgoHelper()
	gomega.Eventually(ctx, func() error {
		pid, err := kubeletPid()
		if err != nil {
			return err
		}
		if pid == old || syscall.Kill(pid, 0) != nil {
			return fmt.Errorf("kubelet pid %d, still the old %d or not running", pid, old)
		}
		return nil
	}).WithTimeout(time.Minute).WithPolling(250*time.Millisecond).Should(gomega.Succeed(), "a new kubelet must be launched")
	gomega.Eventually(ctx, func(ctx context.Context) error {
		n, err := env.client.CoreV1().Nodes().Get(ctx, env.info.NodeName, metaGet)
		if err != nil {
			return err
		}
		if ready, desc := services.NodeReadyStatus(n); !ready {
			return fmt.Errorf("node: %s", desc)
		}
		l, err := env.client.CoordinationV1().Leases(v1.NamespaceNodeLease).Get(ctx, env.info.NodeName, metaGet)
		if err != nil {
			return err
		}
		if l.Spec.RenewTime == nil || !l.Spec.RenewTime.After(since) {
			return fmt.Errorf("node Ready, but its Lease was last renewed at %v, before the restart at %v", l.Spec.RenewTime, since)
		}
		return nil
	}).WithTimeout(2*time.Minute).WithPolling(time.Second).Should(gomega.Succeed(), "the Node must be Ready, its Lease renewed by the new kubelet")
}

var _ = ginkgo.Describe("Kubelet and runtime restart", ginkgo.Label("NodeConformance", "Disruptive"), ginkgo.Serial, func() {
	ginkgo.BeforeEach(func() {
		if env.info.RunDir == "" {
			ginkgo.Skip("needs a node this harness started (its kubelet is restarted through kubelet mode)")
		}
	})

	restart := func(ctx context.Context, disrupt func(kubeletPid int)) {
		ns := createNamespace(ctx, "kubelet-restart")
		name := uniqueName("survivor")
		createPod(ctx, ns, busyboxPod(name, "sleep", "3600"))
		before := awaitPod(ctx, ns, name, 2*time.Minute, "Ready", containerReady)
		id := before.Status.ContainerStatuses[0].ContainerID

		old, err := kubeletPid()
		gomega.Expect(err).NotTo(gomega.HaveOccurred(), "kubelet pid file")
		since := time.Now()
		disrupt(old)
		awaitNewKubelet(ctx, old, since)

		// The running pod survived: same container, never restarted, Ready.
		after := awaitPod(ctx, ns, name, time.Minute, "Ready after the restart", containerReady)
		cs := after.Status.ContainerStatuses[0]
		gomega.Expect(cs.ContainerID).To(gomega.Equal(id), "the container must survive the kubelet restart")
		gomega.Expect(cs.RestartCount).To(gomega.BeZero())
		// And the new kubelet runs new pods.
		fresh := uniqueName("fresh")
		createPod(ctx, ns, busyboxPod(fresh, "sleep", "3600"))
		awaitPod(ctx, ns, fresh, 2*time.Minute, "Ready", containerReady)
	}

	ginkgo.It("keeps running pods and the Node Ready across a requested restart", func(ctx context.Context) {
		restart(ctx, func(int) {
			st := nodeState()
			gomega.Expect(st.KubeletModePid).NotTo(gomega.BeZero())
			gomega.Expect(syscall.Kill(st.KubeletModePid, syscall.SIGUSR1)).To(gomega.Succeed(), "ask kubelet mode (pid %d) to restart the kubelet", st.KubeletModePid)
		})
	})

	ginkgo.It("brings back a kubelet killed with SIGKILL when --restart-kubelet is set", func(ctx context.Context) {
		if !cfg.RestartKubelet {
			ginkgo.Skip("needs --restart-kubelet: without it a dead kubelet ends the run (runner/local's fault test covers that)")
		}
		restart(ctx, func(pid int) {
			gomega.Expect(syscall.Kill(pid, syscall.SIGKILL)).To(gomega.Succeed(), "kill the kubelet (pid %d)", pid)
		})
	}, ginkgo.NodeTimeout(5*time.Minute))

	ginkgo.It("brings back the harness's containerd killed with SIGKILL when --restart-kubelet is set", func(ctx context.Context) {
		if !cfg.RestartKubelet {
			ginkgo.Skip("needs --restart-kubelet: without it a dead containerd ends the run (runner/local's fault test covers that)")
		}
		st := nodeState()
		if !st.OwnRuntime {
			ginkgo.Skip("the container runtime is not the harness's own (--container-runtime-endpoint)")
		}
		ns := createNamespace(ctx, "runtime-restart")
		name := uniqueName("survivor")
		createPod(ctx, ns, busyboxPod(name, "sleep", "3600"))
		before := awaitPod(ctx, ns, name, 2*time.Minute, "Ready", containerReady)
		gomega.Expect(syscall.Kill(st.ContainerdPid, syscall.SIGKILL)).To(gomega.Succeed(), "kill containerd (pid %d)", st.ContainerdPid)
		gomega.Eventually(ctx, func() error {
			now := nodeState()
			if now.ContainerdPid == st.ContainerdPid || syscall.Kill(now.ContainerdPid, 0) != nil {
				return fmt.Errorf("containerd pid %d: not restarted yet", now.ContainerdPid)
			}
			return nil
		}).WithTimeout(time.Minute).WithPolling(250*time.Millisecond).Should(gomega.Succeed(), "the harness must start containerd again")
		// The pod's container kept running under its shim, and the kubelet
		// still manages pods through the new containerd.
		fresh := uniqueName("fresh")
		createPod(ctx, ns, busyboxPod(fresh, "sleep", "3600"))
		awaitPod(ctx, ns, fresh, 2*time.Minute, "Ready", containerReady)
		after := awaitPod(ctx, ns, name, time.Minute, "Ready", containerReady)
		gomega.Expect(after.Status.ContainerStatuses[0].ContainerID).To(gomega.Equal(before.Status.ContainerStatuses[0].ContainerID))
		gomega.Expect(after.Status.ContainerStatuses[0].RestartCount).To(gomega.BeZero())
	}, ginkgo.NodeTimeout(5*time.Minute))
})
