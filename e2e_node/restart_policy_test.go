package e2e_node

import (
	"context"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	v1 "k8s.io/api/core/v1"
)

func restartCount(p *v1.Pod) int32 {
	if len(p.Status.ContainerStatuses) != 1 {
		return 0
	}
	return p.Status.ContainerStatuses[0].RestartCount
}

var _ = ginkgo.Describe("Restart policies", ginkgo.Label("NodeConformance"), func() {
	var ns string
	ginkgo.BeforeEach(func(ctx context.Context) { ns = createNamespace(ctx, "restart") })

	ginkgo.It("restarts a container that exits 0 under Always", ginkgo.SpecPriority(1), func(ctx context.Context) {
		name := uniqueName("always")
		pod := busyboxPod(name, "sh", "-c", "sleep 1; exit 0")
		pod.Spec.RestartPolicy = v1.RestartPolicyAlways
		createPod(ctx, ns, pod)
		p := awaitPod(ctx, ns, name, 3*time.Minute, "restarted at least twice", func(p *v1.Pod) bool { return restartCount(p) >= 2 })
		gomega.Expect(p.Status.Phase).To(gomega.Equal(v1.PodRunning), "a pod with restartPolicy Always stays Running")
	})

	ginkgo.It("restarts a failing container under OnFailure until it succeeds", func(ctx context.Context) {
		name := uniqueName("onfailure")
		// Fails on the first run, succeeds on the second: the state survives
		// restarts in an emptyDir.
		pod := busyboxPod(name, "sh", "-c", "if [ -e /state/ran ]; then exit 0; fi; touch /state/ran; exit 1")
		pod.Spec.RestartPolicy = v1.RestartPolicyOnFailure
		mountVolume(pod, emptyDir("state"), "/state")
		createPod(ctx, ns, pod)
		p := awaitPodPhase(ctx, ns, name, v1.PodSucceeded, 3*time.Minute)
		gomega.Expect(restartCount(p)).To(gomega.Equal(int32(1)))
	})

	ginkgo.It("does not restart a failed container under Never", func(ctx context.Context) {
		name := uniqueName("never")
		createPod(ctx, ns, busyboxPod(name, "sh", "-c", "exit 1"))
		p := awaitPodPhase(ctx, ns, name, v1.PodFailed, 2*time.Minute)
		// Give the kubelet time in which it could (wrongly) restart it.
		gomega.Consistently(ctx, func(ctx context.Context) int32 {
			got, err := env.client.CoreV1().Pods(ns).Get(ctx, name, metaGet)
			if err != nil {
				return -1
			}
			return restartCount(got)
		}).WithTimeout(5 * time.Second).WithPolling(time.Second).Should(gomega.BeZero())
		gomega.Expect(p.Status.Phase).To(gomega.Equal(v1.PodFailed))
	})
})
