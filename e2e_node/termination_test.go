package e2e_node

import (
	"context"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	v1 "k8s.io/api/core/v1"
)

// terminated returns the terminated state of the pod's only container.
func terminated(p *v1.Pod) *v1.ContainerStateTerminated {
	if len(p.Status.ContainerStatuses) != 1 {
		return nil
	}
	return p.Status.ContainerStatuses[0].State.Terminated
}

var _ = ginkgo.Describe("Container exit codes and termination messages", ginkgo.Label("NodeConformance"), func() {
	var ns string
	ginkgo.BeforeEach(func(ctx context.Context) { ns = createNamespace(ctx, "exit") })

	ginkgo.It("reports a non-zero exit code and the message written to the termination message file", func(ctx context.Context) {
		name := uniqueName("exit")
		pod := busyboxPod(name, "sh", "-c", "printf 'went wrong: disk' > /dev/termination-log; exit 42")
		createPod(ctx, ns, pod)
		p := awaitPodPhase(ctx, ns, name, v1.PodFailed, 2*time.Minute)
		term := terminated(p)
		gomega.Expect(term).NotTo(gomega.BeNil(), describePodStatus(p))
		gomega.Expect(term.ExitCode).To(gomega.Equal(int32(42)))
		gomega.Expect(term.Reason).To(gomega.Equal("Error"))
		gomega.Expect(term.Message).To(gomega.Equal("went wrong: disk"))
	})

	ginkgo.It("uses a custom termination message path", func(ctx context.Context) {
		name := uniqueName("exitpath")
		pod := busyboxPod(name, "sh", "-c", "echo custom > /tmp/why; exit 0")
		pod.Spec.Containers[0].TerminationMessagePath = "/tmp/why"
		createPod(ctx, ns, pod)
		p := awaitPodPhase(ctx, ns, name, v1.PodSucceeded, 2*time.Minute)
		gomega.Expect(terminated(p).Message).To(gomega.Equal("custom\n"))
		gomega.Expect(terminated(p).Reason).To(gomega.Equal("Completed"))
	})

	ginkgo.It("falls back to the log tail with FallbackToLogsOnError when the container fails", func(ctx context.Context) {
		name := uniqueName("fallback")
		pod := busyboxPod(name, "sh", "-c", "echo first line; echo last words; exit 3")
		pod.Spec.Containers[0].TerminationMessagePolicy = v1.TerminationMessageFallbackToLogsOnError
		createPod(ctx, ns, pod)
		p := awaitPodPhase(ctx, ns, name, v1.PodFailed, 2*time.Minute)
		gomega.Expect(terminated(p).ExitCode).To(gomega.Equal(int32(3)))
		gomega.Expect(terminated(p).Message).To(gomega.Equal("first line\nlast words\n"))
	})

	ginkgo.It("does not use the logs with FallbackToLogsOnError when the container succeeds", func(ctx context.Context) {
		name := uniqueName("nofallback")
		pod := busyboxPod(name, "sh", "-c", "echo all good")
		pod.Spec.Containers[0].TerminationMessagePolicy = v1.TerminationMessageFallbackToLogsOnError
		createPod(ctx, ns, pod)
		p := awaitPodPhase(ctx, ns, name, v1.PodSucceeded, 2*time.Minute)
		gomega.Expect(terminated(p).Message).To(gomega.BeEmpty())
	})
})
