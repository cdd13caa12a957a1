package e2e_node

import (
	"context"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	v1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/utils/ptr"

	"github.com/node-e2e/harness/services"
)

// createRuntimeClass creates rc (cluster-scoped) and deletes it after the spec.
func createRuntimeClass(ctx context.Context, rc *nodev1.RuntimeClass) {
	ginkgo.GinkgoHelper()
	_, err := env.client.NodeV1().RuntimeClasses().Create(ctx, rc, metav1.CreateOptions{})
	gomega.Expect(err).NotTo(gomega.HaveOccurred(), "create RuntimeClass %s", rc.Name)
	ginkgo.DeferCleanup(func(ctx context.Context) {
		_ = env.client.NodeV1().RuntimeClasses().Delete(ctx, rc.Name, metav1.DeleteOptions{})
	})
}

var _ = ginkgo.Describe("RuntimeClass and pod overhead", ginkgo.Label("NodeConformance"), func() {
	ginkgo.It("runs a pod with a RuntimeClass for the runc handler and counts its overhead in the pod cgroup", func(ctx context.Context) {
		rc := &nodev1.RuntimeClass{
			ObjectMeta: metav1.ObjectMeta{Name: "e2e-runc-" + rand.String(5)},
			Handler:    "runc",
			Overhead:   &nodev1.Overhead{PodFixed: v1.ResourceList{v1.ResourceMemory: resource.MustParse("16Mi"), v1.ResourceCPU: resource.MustParse("10m")}},
		}
		createRuntimeClass(ctx, rc)
		ns := createNamespace(ctx, "runtimeclass")
		name := uniqueName("rc")
		pod := busyboxPod(name, "sleep", "3600")
		pod.Spec.RuntimeClassName = ptr.To(rc.Name)
		// The API server's RuntimeClass admission plugin copies the overhead
		// into the pod; the kubelet sizes the pod cgroup with it.
		mem := resource.MustParse("64Mi")
		pod.Spec.Containers[0].Resources = resources(v1.ResourceList{v1.ResourceMemory: mem, v1.ResourceCPU: resource.MustParse("100m")}, v1.ResourceList{v1.ResourceMemory: mem, v1.ResourceCPU: resource.MustParse("100m")})
		created := createPod(ctx, ns, pod)
		gomega.Expect(created.Spec.Overhead).To(gomega.HaveKey(v1.ResourceMemory), "admission must copy the RuntimeClass overhead into the pod")
		p := awaitPodPhase(ctx, ns, name, v1.PodRunning, 2*time.Minute)
		gomega.Expect(readCgroupFile(podCgroupV1("memory", p), "memory.limit_in_bytes")).To(gomega.Equal("83886080"), "64Mi limit + 16Mi overhead")
	})

	ginkgo.It("runs a pod under a RuntimeClass for the runtime's second handler, test-handler", func(ctx context.Context) {
		if !env.info.OwnRuntime {
			ginkgo.Skip("the " + services.TestHandler + " handler is configured only in the harness's own containerd")
		}
		rc := &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "e2e-test-handler-" + rand.String(5)}, Handler: services.TestHandler}
		createRuntimeClass(ctx, rc)
		ns := createNamespace(ctx, "runtimeclass")
		name := uniqueName("handler")
		pod := busyboxPod(name, "sh", "-c", "echo ran under the handler; sleep 3600")
		pod.Spec.RuntimeClassName = ptr.To(rc.Name)
		created := createPod(ctx, ns, pod)
		awaitPodPhase(ctx, ns, name, v1.PodRunning, 2*time.Minute)

		// The runtime made the sandbox with that handler, not the default.
		conn, err := services.DialCRI(env.info.RuntimeEndpoint)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		defer conn.Close()
		sbs, err := runtimeapi.NewRuntimeServiceClient(conn).ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{
			Filter: &runtimeapi.PodSandboxFilter{LabelSelector: map[string]string{"io.kubernetes.pod.uid": string(created.UID)}},
		})
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		gomega.Expect(sbs.Items).To(gomega.HaveLen(1), "sandboxes of the pod")
		gomega.Expect(sbs.Items[0].RuntimeHandler).To(gomega.Equal(services.TestHandler), "the sandbox's runtime handler")
		awaitLogs(ctx, ns, name, "main", time.Minute).Should(gomega.ContainSubstring("ran under the handler"))
	})

	ginkgo.It("fails a pod whose RuntimeClass names a handler the runtime does not have", func(ctx context.Context) {
		rc := &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "e2e-missing-" + rand.String(5)}, Handler: "no-such-handler"}
		createRuntimeClass(ctx, rc)
		ns := createNamespace(ctx, "runtimeclass")
		name := uniqueName("badrc")
		pod := busyboxPod(name, "sleep", "3600")
		pod.Spec.RuntimeClassName = ptr.To(rc.Name)
		createPod(ctx, ns, pod)
		gomega.Eventually(ctx, func(ctx context.Context) ([]string, error) {
			evs, err := env.client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=" + name})
			if err != nil {
				return nil, err
			}
			var reasons []string
			for _, e := range evs.Items {
				reasons = append(reasons, e.Reason)
			}
			return reasons, nil
		}).WithTimeout(2*time.Minute).Should(gomega.ContainElement("FailedCreatePodSandBox"), "the kubelet must report that no sandbox can be made for the handler")
		p, err := env.client.CoreV1().Pods(ns).Get(ctx, name, metaGet)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		gomega.Expect(p.Status.Phase).To(gomega.Equal(v1.PodPending))
	})
})
