package e2e_node

import (
	"context"
	"encoding/json"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	v1 "k8s.io/api/core/v1"
	statsapi "k8s.io/kubelet/pkg/apis/stats/v1alpha1"
)

// summary fetches the kubelet's stats summary through the API server.
func summary(ctx context.Context) (*statsapi.Summary, error) {
	b, err := env.client.CoreV1().RESTClient().Get().Resource("nodes").Name(env.info.NodeName).
		SubResource("proxy").Suffix("stats/summary").DoRaw(ctx)
	if err != nil {
		return nil, err
	}
	var s statsapi.Summary
	return &s, json.Unmarshal(b, &s)
}

var _ = ginkgo.Describe("Kubelet stats", ginkgo.Label("NodeConformance"), func() {
	ginkgo.It("reports node and pod CPU, memory and filesystem usage in the summary API", ginkgo.SpecPriority(1), func(ctx context.Context) {
		ns := createNamespace(ctx, "stats")
		name := uniqueName("busy")
		createPod(ctx, ns, busyboxPod(name, "sh", "-c", "while true; do :; done"))
		awaitPodPhase(ctx, ns, name, v1.PodRunning, 2*time.Minute)
		var pod *statsapi.PodStats
		var s *statsapi.Summary
		gomega.Eventually(ctx, func(ctx context.Context) error {
			var err error
			if s, err = summary(ctx); err != nil {
				return err
			}
			for i := range s.Pods {
				if s.Pods[i].PodRef.Name == name && s.Pods[i].PodRef.Namespace == ns && len(s.Pods[i].Containers) == 1 &&
					s.Pods[i].CPU != nil && s.Pods[i].CPU.UsageNanoCores != nil && *s.Pods[i].CPU.UsageNanoCores > 0 {
					pod = &s.Pods[i]
					return nil
				}
			}
			return errNotYet
		}).WithTimeout(2*time.Minute).WithPolling(2*time.Second).Should(gomega.Succeed(), "the busy pod's CPU usage never showed in the summary")
		gomega.Expect(s.Node.NodeName).To(gomega.Equal(env.info.NodeName))
		gomega.Expect(s.Node.CPU).NotTo(gomega.BeNil())
		gomega.Expect(*s.Node.Memory.WorkingSetBytes).To(gomega.BeNumerically(">", 0))
		gomega.Expect(*s.Node.Fs.CapacityBytes).To(gomega.BeNumerically(">", 0))
		gomega.Expect(*pod.Memory.WorkingSetBytes).To(gomega.BeNumerically(">", 0))
		gomega.Expect(pod.Containers[0].Name).To(gomega.Equal("main"))
	})

	ginkgo.It("serves resource metrics in Prometheus text format", func(ctx context.Context) {
		b, err := env.client.CoreV1().RESTClient().Get().Resource("nodes").Name(env.info.NodeName).
			SubResource("proxy").Suffix("metrics/resource").DoRaw(ctx)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		for _, m := range []string{"node_cpu_usage_seconds_total", "node_memory_working_set_bytes", "resource_scrape_error"} {
			gomega.Expect(string(b)).To(gomega.ContainSubstring(m))
		}
	})
})
