package e2e_node

import (
	"context"
	"encoding/json"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/node-e2e/harness/services"
)

// nodeTaints reads the Node's taints.
func nodeTaints(ctx context.Context) ([]v1.Taint, error) {
	node, err := env.client.CoreV1().Nodes().Get(ctx, env.info.NodeName, metaGet)
	if err != nil {
		return nil, err
	}
	return node.Spec.Taints, nil
}

// setUnschedulable cordons (true) or uncordons the Node.
func setUnschedulable(ctx context.Context, on bool) error {
	patch, _ := json.Marshal(map[string]any{"spec": map[string]any{"unschedulable": on}})
	_, err := env.client.CoreV1().Nodes().Patch(ctx, env.info.NodeName, types.MergePatchType, patch, metav1.PatchOptions{})
	return err
}

// The harness's Node must look like a healthy cluster node: the services
// process's node taint controller does what a node lifecycle controller
// does for the condition taints.
var _ = ginkgo.Describe("Harness node taints", ginkgo.Label("Harness"), func() {
	ginkgo.BeforeEach(func() {
		if env.info.RunDir == "" {
			ginkgo.Skip("the taints of a node the harness did not bring up are its cluster's business")
		}
	})

	ginkgo.It("keeps no taint on the Ready node (the not-ready taint of registration is gone)", func(ctx context.Context) {
		node, err := env.client.CoreV1().Nodes().Get(ctx, env.info.NodeName, metaGet)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		ready, desc := services.NodeReadyStatus(node)
		gomega.Expect(ready).To(gomega.BeTrue(), "node %s: %s", node.Name, desc)
		// The controller reacts to the Ready condition within moments of
		// the harness seeing it.
		gomega.Eventually(ctx, nodeTaints).WithTimeout(30*time.Second).Should(gomega.BeEmpty(), "a Ready node's taints")
	})

	ginkgo.It("taints a cordoned node unschedulable and removes the taint when it is uncordoned", ginkgo.Serial, func(ctx context.Context) {
		gomega.Expect(setUnschedulable(ctx, true)).To(gomega.Succeed())
		ginkgo.DeferCleanup(func(ctx context.Context) { _ = setUnschedulable(ctx, false) })
		want := v1.Taint{Key: v1.TaintNodeUnschedulable, Effect: v1.TaintEffectNoSchedule}
		gomega.Eventually(ctx, nodeTaints).WithTimeout(30*time.Second).Should(
			gomega.ContainElement(gomega.And(gomega.HaveField("Key", want.Key), gomega.HaveField("Effect", want.Effect))),
			"the controller must add the unschedulable taint while the node runs")
		gomega.Expect(setUnschedulable(ctx, false)).To(gomega.Succeed())
		gomega.Eventually(ctx, nodeTaints).WithTimeout(30*time.Second).Should(gomega.BeEmpty(),
			"the controller must remove the taint once the node is schedulable again")
	})
})
