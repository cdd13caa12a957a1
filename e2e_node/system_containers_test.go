package e2e_node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	statsapi "k8s.io/kubelet/pkg/apis/stats/v1alpha1"

	"github.com/node-e2e/harness/internal/host"
	"github.com/node-e2e/harness/internal/run"
	"github.com/node-e2e/harness/services"
)

// cpuAccounted reports whether cgroup has a directory in the cgroup v1
// cpuacct hierarchy (or the host has none: cgroup v2), where its CPU usage
// is read. Under the systemd launcher, systemd makes the kubelet unit's
// cgroup only in the hierarchies it manages: on a host whose cpuacct is
// mounted apart from cpu, not in cpuacct.
func cpuAccounted(cgroup string) bool {
	points, err := host.CgroupMountPoints()
	if err != nil {
		return true
	}
	v1 := false
	for _, p := range points {
		if strings.Contains(filepath.Base(p), "cpuacct") {
			v1 = true
			if _, err := os.Stat(filepath.Join(p, cgroup)); err == nil {
				return true
			}
		}
	}
	return !v1
}

// memoryCgroup is the memory-hierarchy cgroup of process pid.
func memoryCgroup(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if parts := strings.SplitN(line, ":", 3); len(parts) == 3 && parts[1] == "memory" {
			return parts[2], nil
		}
	}
	return "", fmt.Errorf("pid %d has no memory cgroup (cgroup v1 only)", pid)
}

var _ = ginkgo.Describe("Kubelet system containers", ginkgo.Label("NodeConformance"), func() {
	ginkgo.It("runs the kubelet and the runtime each in its own cgroup, reported in the summary API with CPU and memory", func(ctx context.Context) {
		if env.info.RunDir == "" {
			ginkgo.Skip("the system cgroups are the harness's node's: a node it did not bring up has its own")
		}
		var st services.NodeState
		gomega.Expect(run.ReadJSON(run.Layout{Dir: env.info.RunDir}.NodeState(), &st)).To(gomega.Succeed())
		sc := st.SystemCgroups
		gomega.Expect(sc.Kubelet).NotTo(gomega.BeEmpty(), "node.json records no kubelet cgroup")
		want := []string{statsapi.SystemContainerKubelet}
		if st.OwnRuntime {
			gomega.Expect(sc.Runtime).NotTo(gomega.BeEmpty(), "node.json records no runtime cgroup")
			want = append(want, statsapi.SystemContainerRuntime)
		}

		// The processes are where the kubelet is told they are (cgroup v1,
		// the direct launcher: the kubelet moved itself, the harness moved
		// containerd).
		if _, err := os.Stat("/sys/fs/cgroup/memory"); err == nil && st.KubeletUnit == "" {
			b, err := os.ReadFile(st.Layout.KubeletPidFile())
			gomega.Expect(err).NotTo(gomega.HaveOccurred())
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			gomega.Expect(err).NotTo(gomega.HaveOccurred())
			gomega.Eventually(func() (string, error) { return memoryCgroup(pid) }).WithTimeout(30*time.Second).
				Should(gomega.Equal(sc.Kubelet), "the kubelet's memory cgroup")
			if st.OwnRuntime {
				gomega.Expect(memoryCgroup(st.ContainerdPid)).To(gomega.Equal(sc.Runtime), "containerd's memory cgroup")
			}
		}

		needCPU := map[string]bool{statsapi.SystemContainerKubelet: cpuAccounted(sc.Kubelet), statsapi.SystemContainerRuntime: true}
		if !needCPU[statsapi.SystemContainerKubelet] {
			ginkgo.GinkgoWriter.Printf("the kubelet's cgroup %s is not in the cpuacct hierarchy (systemd did not make it there): its CPU usage is not checked\n", sc.Kubelet)
		}
		gomega.Eventually(ctx, func(ctx context.Context) error {
			s, err := summary(ctx)
			if err != nil {
				return err
			}
			for _, name := range want {
				var found *statsapi.ContainerStats
				for i := range s.Node.SystemContainers {
					if s.Node.SystemContainers[i].Name == name {
						found = &s.Node.SystemContainers[i]
					}
				}
				switch {
				case found == nil:
					return fmt.Errorf("no %q system container in the summary", name)
				case needCPU[name] && (found.CPU == nil || found.CPU.UsageCoreNanoSeconds == nil || *found.CPU.UsageCoreNanoSeconds == 0):
					return fmt.Errorf("system container %q: no CPU usage", name)
				case found.Memory == nil || found.Memory.UsageBytes == nil || *found.Memory.UsageBytes == 0:
					return fmt.Errorf("system container %q: no memory usage", name)
				}
			}
			return nil
		}).WithTimeout(2*time.Minute).WithPolling(2*time.Second).Should(gomega.Succeed(), "the summary API's system containers")
	})
})
