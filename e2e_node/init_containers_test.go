package e2e_node

import (
	"context"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	v1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

var _ = ginkgo.Describe("Init containers", ginkgo.Label("NodeConformance"), func() {
	var ns string
	ginkgo.BeforeEach(func(ctx context.Context) { ns = createNamespace(ctx, "init") })

	ginkgo.It("run in order, each to completion, before the app container", func(ctx context.Context) {
		name := uniqueName("ordered")
		pod := busyboxPod(name, "sh", "-c", "cat /work/log")
		mountVolume(pod, emptyDir("work"), "/work")
		mount := pod.Spec.Containers[0].VolumeMounts
		for _, n := range []string{"first", "second"} {
			init := busyboxContainer(n, "sh", "-c", "echo "+n+" >> /work/log")
			init.VolumeMounts = mount
			pod.Spec.InitContainers = append(pod.Spec.InitContainers, init)
		}
		out := runToCompletion(ctx, ns, pod)
		gomega.Expect(strings.Fields(out)).To(gomega.Equal([]string{"first", "second"}))
		p, err := env.client.CoreV1().Pods(ns).Get(ctx, name, metaGet)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		for _, s := range p.Status.InitContainerStatuses {
			gomega.Expect(s.State.Terminated).NotTo(gomega.BeNil(), "init container %s", s.Name)
			gomega.Expect(s.State.Terminated.ExitCode).To(gomega.BeZero(), "init container %s", s.Name)
		}
	})

	ginkgo.It("keep the app container from starting while one fails under restartPolicy Never", func(ctx context.Context) {
		name := uniqueName("initfail")
		pod := busyboxPod(name, "sh", "-c", "echo app ran")
		pod.Spec.InitContainers = []v1.Container{busyboxContainer("broken", "sh", "-c", "exit 5")}
		createPod(ctx, ns, pod)
		p := awaitPodPhase(ctx, ns, name, v1.PodFailed, 2*time.Minute)
		gomega.Expect(p.Status.InitContainerStatuses[0].State.Terminated.ExitCode).To(gomega.Equal(int32(5)))
		app := p.Status.ContainerStatuses[0]
		gomega.Expect(app.State.Running).To(gomega.BeNil())
		gomega.Expect(app.State.Terminated == nil || app.State.Terminated.Reason != "Completed").To(gomega.BeTrue(), "the app container must never have run: %s", describePodStatus(p))
	})

	ginkgo.It("start a restartable sidecar that keeps running beside the app container", func(ctx context.Context) {
		name := uniqueName("sidecar")
		pod := busyboxPod(name, "sh", "-c", "until [ -e /shared/sidecar-up ]; do sleep 0.2; done; echo saw sidecar; sleep 3600")
		mountVolume(pod, emptyDir("shared"), "/shared")
		sidecar := busyboxContainer("sidecar", "sh", "-c", "touch /shared/sidecar-up; sleep 3600")
		sidecar.RestartPolicy = ptr.To(v1.ContainerRestartPolicyAlways)
		sidecar.VolumeMounts = pod.Spec.Containers[0].VolumeMounts
		pod.Spec.InitContainers = []v1.Container{sidecar}
		createPod(ctx, ns, pod)
		p := awaitPod(ctx, ns, name, 2*time.Minute, "Running with both containers started", func(p *v1.Pod) bool {
			return p.Status.Phase == v1.PodRunning && len(p.Status.InitContainerStatuses) == 1 &&
				p.Status.InitContainerStatuses[0].State.Running != nil &&
				len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].State.Running != nil
		})
		gomega.Expect(p.Status.InitContainerStatuses[0].RestartCount).To(gomega.BeZero())
		awaitLogs(ctx, ns, name, "main", time.Minute).Should(gomega.Equal("saw sidecar\n"))
	})
})
