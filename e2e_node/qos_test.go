package e2e_node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/node-e2e/harness/e2e_node/internal/podcgroup"
	"github.com/node-e2e/harness/e2e_node/nodefacts"
)

// podCgroupV1 returns the pod's cgroup directory in the v1 hierarchy
// controller, for either cgroup driver, or skips the spec where that
// layout does not apply.
func podCgroupV1(controller string, p *v1.Pod) string {
	ginkgo.GinkgoHelper()
	needFact(env.info.CgroupRoot, nodefacts.CgroupRoot)
	if _, err := os.Stat("/sys/fs/cgroup/" + controller + "/cgroup.procs"); err != nil {
		ginkgo.Skip("no cgroup v1 " + controller + " hierarchy on this host: the spec reads v1 cgroup files")
	}
	return filepath.Join("/sys/fs/cgroup", controller, podcgroup.Dir(env.info.CgroupRoot, env.info.SystemdCgroup, p.Status.QOSClass, p.UID))
}

func readCgroupFile(dir, file string) string {
	ginkgo.GinkgoHelper()
	b, err := os.ReadFile(filepath.Join(dir, file))
	gomega.Expect(err).NotTo(gomega.HaveOccurred(), "pod cgroup file")
	return strings.TrimSpace(string(b))
}

func resources(req, lim v1.ResourceList) v1.ResourceRequirements {
	return v1.ResourceRequirements{Requests: req, Limits: lim}
}

var _ = ginkgo.Describe("QoS classes and pod cgroups", ginkgo.Label("NodeConformance"), func() {
	var ns string
	ginkgo.BeforeEach(func(ctx context.Context) { ns = createNamespace(ctx, "qos") })

	cpuMem := func(cpu, mem string) v1.ResourceList {
		return v1.ResourceList{v1.ResourceCPU: resource.MustParse(cpu), v1.ResourceMemory: resource.MustParse(mem)}
	}
	cases := []struct {
		class v1.PodQOSClass
		res   v1.ResourceRequirements
		check func(memDir, cpuDir string)
	}{
		{v1.PodQOSGuaranteed, resources(cpuMem("100m", "64Mi"), cpuMem("100m", "64Mi")), func(memDir, cpuDir string) {
			gomega.Expect(readCgroupFile(memDir, "memory.limit_in_bytes")).To(gomega.Equal(fmt.Sprint(64 << 20)))
			gomega.Expect(readCgroupFile(cpuDir, "cpu.cfs_quota_us")).To(gomega.Equal("10000"), "100m of a 100ms period")
			gomega.Expect(readCgroupFile(cpuDir, "cpu.shares")).To(gomega.Equal("102"))
		}},
		{v1.PodQOSBurstable, resources(cpuMem("200m", "32Mi"), v1.ResourceList{v1.ResourceMemory: resource.MustParse("96Mi")}), func(memDir, cpuDir string) {
			gomega.Expect(readCgroupFile(memDir, "memory.limit_in_bytes")).To(gomega.Equal(fmt.Sprint(96 << 20)))
			gomega.Expect(readCgroupFile(cpuDir, "cpu.shares")).To(gomega.Equal("204"))
		}},
		{v1.PodQOSBestEffort, resources(nil, nil), func(memDir, cpuDir string) {
			gomega.Expect(readCgroupFile(cpuDir, "cpu.shares")).To(gomega.Equal("2"), "best-effort pods get the minimum CPU shares")
		}},
	}
	for _, c := range cases {
		ginkgo.It(fmt.Sprintf("classifies a %s pod and applies its resources to its cgroup", c.class), func(ctx context.Context) {
			name := uniqueName(strings.ToLower(string(c.class)))
			pod := busyboxPod(name, "sleep", "3600")
			pod.Spec.Containers[0].Resources = c.res
			createPod(ctx, ns, pod)
			p := awaitPodPhase(ctx, ns, name, v1.PodRunning, 2*time.Minute)
			gomega.Expect(p.Status.QOSClass).To(gomega.Equal(c.class))
			c.check(podCgroupV1("memory", p), podCgroupV1("cpu", p))
		})
	}

	ginkgo.It("OOM-kills a container that exceeds its memory limit", func(ctx context.Context) {
		name := uniqueName("oom")
		// awk doubles a string until the 32Mi limit stops it.
		pod := busyboxPod(name, "awk", `BEGIN { s = "x"; while (1) s = s s }`)
		pod.Spec.Containers[0].Resources = resources(nil, v1.ResourceList{v1.ResourceMemory: resource.MustParse("32Mi")})
		createPod(ctx, ns, pod)
		p := awaitPodPhase(ctx, ns, name, v1.PodFailed, 2*time.Minute)
		term := terminated(p)
		gomega.Expect(term).NotTo(gomega.BeNil(), describePodStatus(p))
		gomega.Expect(term.Reason).To(gomega.Equal("OOMKilled"))
		gomega.Expect(term.ExitCode).To(gomega.Equal(int32(137)))
	})
})
