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
	"k8s.io/utils/ptr"
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
