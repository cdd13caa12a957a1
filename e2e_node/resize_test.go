package e2e_node

import (
	"context"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var _ = ginkgo.Describe("In-place resource resize", ginkgo.Label("NodeConformance"), func() {
	ginkgo.It("applies a CPU and memory limit change to the running container and reports it in the pod status", func(ctx context.Context) {
		ns := createNamespace(ctx, "resize")
		name := uniqueName("resize")
		pod := busyboxPod(name, "sleep", "3600")
		pod.Spec.Containers[0].Resources = resources(
			v1.ResourceList{v1.ResourceCPU: resource.MustParse("100m"), v1.ResourceMemory: resource.MustParse("64Mi")},
			v1.ResourceList{v1.ResourceCPU: resource.MustParse("200m"), v1.ResourceMemory: resource.MustParse("128Mi")})
		pod.Spec.Containers[0].ResizePolicy = []v1.ContainerResizePolicy{
			{ResourceName: v1.ResourceCPU, RestartPolicy: v1.NotRequired},
			{ResourceName: v1.ResourceMemory, RestartPolicy: v1.NotRequired},
		}
		createPod(ctx, ns, pod)
		p := awaitPodPhase(ctx, ns, name, v1.PodRunning, 2*time.Minute)
		id := p.Status.ContainerStatuses[0].ContainerID

		p.Spec.Containers[0].Resources.Limits = v1.ResourceList{v1.ResourceCPU: resource.MustParse("300m"), v1.ResourceMemory: resource.MustParse("192Mi")}
		_, err := env.client.CoreV1().Pods(ns).UpdateResize(ctx, name, p, metav1.UpdateOptions{})
		gomega.Expect(err).NotTo(gomega.HaveOccurred(), "resize through the pods/resize subresource")

		p = awaitPod(ctx, ns, name, 2*time.Minute, "the new limits in its status", func(p *v1.Pod) bool {
			r := p.Status.ContainerStatuses[0].Resources
			return r != nil && r.Limits.Cpu().MilliValue() == 300 && r.Limits.Memory().Value() == 192<<20
		})
		cs := p.Status.ContainerStatuses[0]
		gomega.Expect(cs.ContainerID).To(gomega.Equal(id), "NotRequired resize must not replace the container")
		gomega.Expect(cs.RestartCount).To(gomega.BeZero())
		// The container's cgroup carries the new limits (cgroup v1 files).
		cpu := podCgroupV1("cpu", p)
		mem := podCgroupV1("memory", p)
		gomega.Eventually(ctx, func() string { return readCgroupFile(cpu, "cpu.cfs_quota_us") }).WithTimeout(30 * time.Second).Should(gomega.Equal("30000"))
		gomega.Eventually(ctx, func() string { return readCgroupFile(mem, "memory.limit_in_bytes") }).WithTimeout(30 * time.Second).Should(gomega.Equal("201326592"))
	})
})
