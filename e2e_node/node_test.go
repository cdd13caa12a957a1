package e2e_node

import (
	"context"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/node-e2e/harness/services"
)

var _ = ginkgo.Describe("Node", ginkgo.Label("NodeConformance"), func() {
	ginkgo.It("is Ready and reports CPU, memory and pods capacity", func(ctx context.Context) {
		node, err := env.client.CoreV1().Nodes().Get(ctx, env.info.NodeName, metav1.GetOptions{})
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		ready, desc := services.NodeReadyStatus(node)
		gomega.Expect(ready).To(gomega.BeTrue(), "node %s: %s", node.Name, desc)
		for _, r := range []v1.ResourceName{v1.ResourceCPU, v1.ResourceMemory, v1.ResourcePods} {
			q, ok := node.Status.Capacity[r]
			gomega.Expect(ok).To(gomega.BeTrue(), "capacity lacks %s: %v", r, node.Status.Capacity)
			gomega.Expect(q.Sign()).To(gomega.Equal(1), "capacity %s = %s, want > 0", r, q.String())
			a, ok := node.Status.Allocatable[r]
			gomega.Expect(ok).To(gomega.BeTrue(), "allocatable lacks %s", r)
			gomega.Expect(a.Cmp(q)).To(gomega.BeNumerically("<=", 0), "allocatable %s %s exceeds capacity %s", r, a.String(), q.String())
		}
		gomega.Expect(node.Status.NodeInfo.KubeletVersion).To(gomega.HavePrefix("v1."), "kubelet version")
	})
})
