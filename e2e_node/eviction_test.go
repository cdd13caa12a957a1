package e2e_node

import (
	"context"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

var _ = ginkgo.Describe("Local storage eviction", ginkgo.Label("NodeConformance"), func() {
	ginkgo.It("evicts a pod that writes past its ephemeral-storage limit", ginkgo.SpecPriority(1), func(ctx context.Context) {
		ns := createNamespace(ctx, "evict")
		name := uniqueName("hog")
		pod := busyboxPod(name, "sh", "-c", "dd if=/dev/zero of=/scratch/fill bs=1M count=40 2>/dev/null; sleep 3600")
		mountVolume(pod, emptyDir("scratch"), "/scratch")
		pod.Spec.Containers[0].Resources = resources(nil, v1.ResourceList{v1.ResourceEphemeralStorage: resource.MustParse("10Mi")})
		createPod(ctx, ns, pod)
		p := awaitPodPhase(ctx, ns, name, v1.PodFailed, 3*time.Minute)
		gomega.Expect(p.Status.Reason).To(gomega.Equal("Evicted"), describePodStatus(p))
		gomega.Expect(p.Status.Message).To(gomega.ContainSubstring("ephemeral"))
	})
})
