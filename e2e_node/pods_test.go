package e2e_node

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/node-e2e/harness/services"
)

var _ = ginkgo.Describe("Pods", ginkgo.Label("NodeConformance"), func() {
	var ns string
	ginkgo.BeforeEach(func(ctx context.Context) { ns = createNamespace(ctx, "pods") })

	ginkgo.It("runs a pod to completion and serves its logs through the API", func(ctx context.Context) {
		name := uniqueName("complete")
		createPod(ctx, ns, busyboxPod(name, "sh", "-c", "echo hello from $(hostname); echo to-stderr >&2"))
		p := awaitPodPhase(ctx, ns, name, v1.PodSucceeded, 2*time.Minute)
		gomega.Expect(p.Status.ContainerStatuses).To(gomega.HaveLen(1))
		term := p.Status.ContainerStatuses[0].State.Terminated
		gomega.Expect(term).NotTo(gomega.BeNil(), "container not terminated: %s", describePodStatus(p))
		gomega.Expect(term.ExitCode).To(gomega.BeZero())
		logs, err := env.client.CoreV1().Pods(ns).GetLogs(name, &v1.PodLogOptions{}).DoRaw(ctx)
		gomega.Expect(err).NotTo(gomega.HaveOccurred(), "read logs through the API server")
		gomega.Expect(string(logs)).To(gomega.ContainSubstring("hello from " + name))
		gomega.Expect(string(logs)).To(gomega.ContainSubstring("to-stderr"))
	})

	ginkgo.It("runs a long-running pod and executes commands in it through the API", func(ctx context.Context) {
		name := uniqueName("running")
		createPod(ctx, ns, busyboxPod(name, "sh", "-c", "echo marker > /tmp/marker; exec sleep 3600"))
		awaitPod(ctx, ns, name, 2*time.Minute, "Running and Ready", func(p *v1.Pod) bool {
			return p.Status.Phase == v1.PodRunning && len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].Ready
		})
		var stdout, stderr string
		gomega.Eventually(ctx, func() error {
			var err error
			stdout, stderr, err = execInPod(ctx, ns, name, "main", "sh", "-c", "cat /tmp/marker; echo oops >&2")
			return err
		}).WithTimeout(30 * time.Second).Should(gomega.Succeed())
		gomega.Expect(strings.TrimSpace(stdout)).To(gomega.Equal("marker"))
		gomega.Expect(strings.TrimSpace(stderr)).To(gomega.Equal("oops"))

		_, _, err := execInPod(ctx, ns, name, "main", "sh", "-c", "exit 7")
		gomega.Expect(err).To(gomega.HaveOccurred(), "a failing command must report its failure")
		gomega.Expect(err.Error()).To(gomega.ContainSubstring("7"))
	})

	// The kubelet removes a deleted pod's sandbox in its container GC,
	// once a minute: the longest wait of the suite, so it starts first
	// (a parallel run cannot end before it).
	ginkgo.It("removes the pod's containers and sandbox from the runtime when the pod is deleted", ginkgo.SpecPriority(1), func(ctx context.Context) {
		name := uniqueName("delete")
		pod := createPod(ctx, ns, busyboxPod(name, "sleep", "3600"))
		awaitPodPhase(ctx, ns, name, v1.PodRunning, 2*time.Minute)
		uid := string(pod.UID)

		conn, err := services.DialCRI(env.info.RuntimeEndpoint)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		defer conn.Close()
		rs := runtimeapi.NewRuntimeServiceClient(conn)
		byUID := map[string]string{"io.kubernetes.pod.uid": uid}
		counts := func(ctx context.Context) (int, int, error) {
			sbs, err := rs.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{Filter: &runtimeapi.PodSandboxFilter{LabelSelector: byUID}})
			if err != nil {
				return 0, 0, err
			}
			cs, err := rs.ListContainers(ctx, &runtimeapi.ListContainersRequest{Filter: &runtimeapi.ContainerFilter{LabelSelector: byUID}})
			if err != nil {
				return 0, 0, err
			}
			return len(sbs.Items), len(cs.Containers), nil
		}
		sandboxes, containers, err := counts(ctx)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		gomega.Expect(sandboxes).To(gomega.Equal(1), "sandboxes of the running pod")
		gomega.Expect(containers).To(gomega.Equal(1), "containers of the running pod")

		gomega.Expect(env.client.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{})).To(gomega.Succeed())
		gomega.Eventually(ctx, func(ctx context.Context) bool {
			_, err := env.client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
			return apierrors.IsNotFound(err)
		}).WithTimeout(time.Minute).Should(gomega.BeTrue(), "pod object not deleted")
		gomega.Eventually(ctx, func(ctx context.Context) (string, error) {
			s, c, err := counts(ctx)
			return fmt.Sprintf("sandboxes=%d containers=%d", s, c), err
		}).WithTimeout(3*time.Minute).WithPolling(500*time.Millisecond).Should(gomega.Equal("sandboxes=0 containers=0"),
			"the kubelet must remove the deleted pod's sandbox and containers from the runtime")
	})
})
