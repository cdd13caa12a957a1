package e2e_node

import (
	"context"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var _ = ginkgo.Describe("Ephemeral containers", ginkgo.Label("NodeConformance"), func() {
	ginkgo.It("are added to a running pod, run, and report status and logs", func(ctx context.Context) {
		ns := createNamespace(ctx, "ephemeral")
		name := uniqueName("target")
		createPod(ctx, ns, busyboxPod(name, "sh", "-c", "echo target-pid-1 > /tmp/who; sleep 3600"))
		p := awaitPodPhase(ctx, ns, name, v1.PodRunning, 2*time.Minute)
		// With the target's process namespace, /proc/1/root is its filesystem.
		debugger := busyboxContainer("debugger", "sh", "-c", "cat /proc/1/root/tmp/who; sleep 3600")
		p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, v1.EphemeralContainer{
			TargetContainerName:      "main",
			EphemeralContainerCommon: v1.EphemeralContainerCommon(debugger),
		})
		_, err := env.client.CoreV1().Pods(ns).UpdateEphemeralContainers(ctx, name, p, metav1.UpdateOptions{})
		gomega.Expect(err).NotTo(gomega.HaveOccurred(), "add an ephemeral container")
		awaitPod(ctx, ns, name, 2*time.Minute, "running its ephemeral container", func(p *v1.Pod) bool {
			return len(p.Status.EphemeralContainerStatuses) == 1 && p.Status.EphemeralContainerStatuses[0].State.Running != nil
		})
		awaitLogs(ctx, ns, name, "debugger", 30*time.Second).Should(gomega.Equal("target-pid-1\n"))
	})
})
