package e2e_node

import (
	"context"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	v1 "k8s.io/api/core/v1"
)

var _ = ginkgo.Describe("Node lease and pod conditions", ginkgo.Label("NodeConformance"), func() {
	ginkgo.It("renews the node's Lease in kube-node-lease", func(ctx context.Context) {
		get := func(ctx context.Context) (*coordinationv1.Lease, error) {
			return env.client.CoordinationV1().Leases(v1.NamespaceNodeLease).Get(ctx, env.info.NodeName, metaGet)
		}
		// The Node can be Ready a moment before the kubelet makes its Lease.
		var first *coordinationv1.Lease
		gomega.Eventually(ctx, func(ctx context.Context) (err error) {
			first, err = get(ctx)
			return err
		}).WithTimeout(30*time.Second).Should(gomega.Succeed(), "the kubelet must hold a Lease named after its node")
		gomega.Expect(*first.Spec.HolderIdentity).To(gomega.Equal(env.info.NodeName))
		gomega.Expect(first.Spec.RenewTime).NotTo(gomega.BeNil())
		// The kubelet renews every quarter of the 40s lease duration.
		gomega.Eventually(ctx, func(ctx context.Context) (time.Time, error) {
			l, err := get(ctx)
			if err != nil {
				return time.Time{}, err
			}
			return l.Spec.RenewTime.Time, nil
		}).WithTimeout(30*time.Second).WithPolling(time.Second).Should(gomega.BeTemporally(">", first.Spec.RenewTime.Time), "lease not renewed")
	})

	ginkgo.It("reports the pod conditions of a running pod", func(ctx context.Context) {
		ns := createNamespace(ctx, "conditions")
		name := uniqueName("conds")
		createPod(ctx, ns, busyboxPod(name, "sleep", "3600"))
		p := awaitPod(ctx, ns, name, 2*time.Minute, "Ready", func(p *v1.Pod) bool { return containerReady(p) })
		status := map[v1.PodConditionType]v1.ConditionStatus{}
		for _, c := range p.Status.Conditions {
			status[c.Type] = c.Status
		}
		for _, c := range []v1.PodConditionType{v1.PodReadyToStartContainers, v1.PodInitialized, v1.ContainersReady, v1.PodReady} {
			gomega.Expect(status).To(gomega.HaveKeyWithValue(c, v1.ConditionTrue), "condition %s", c)
		}
		gomega.Expect(p.Status.StartTime).NotTo(gomega.BeNil())
		gomega.Expect(p.Status.QOSClass).To(gomega.Equal(v1.PodQOSBestEffort))
	})
})
