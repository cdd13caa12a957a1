package e2e_node

import (
	"context"
	"strconv"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	v1 "k8s.io/api/core/v1"
)

// podPidsLimit is the harness's kubelet podPidsLimit (services/kubeletconfig.go).
const podPidsLimit = 1024

var _ = ginkgo.Describe("PID limits", ginkgo.Label("NodeConformance"), func() {
	ginkgo.It("puts the kubelet's podPidsLimit on the pod cgroup and stops forks beyond it", func(ctx context.Context) {
		ns := createNamespace(ctx, "pids")
		name := uniqueName("forker")
		// An inner shell starts more sleepers than the limit allows: when
		// a fork fails, that shell exits non-zero. The outer shell reports
		// it, then stays up (exec: no fork needed) for the cgroup to be read.
		script := "sh -c 'i=0; while [ $i -lt " + strconv.Itoa(podPidsLimit+100) + " ]; do sleep 600 & i=$((i+1)); done' 2>/dev/null; " +
			"echo forker exited $?; exec sleep 3600"
		createPod(ctx, ns, busyboxPod(name, "sh", "-c", script))
		p := awaitPodPhase(ctx, ns, name, v1.PodRunning, 2*time.Minute)
		dir := podCgroupV1("pids", p)
		gomega.Expect(readCgroupFile(dir, "pids.max")).To(gomega.Equal(strconv.Itoa(podPidsLimit)))
		awaitLogs(ctx, ns, name, "main", 2*time.Minute).Should(gomega.MatchRegexp(`forker exited [1-9]`), "a fork beyond the limit must fail")
		current, err := strconv.Atoi(readCgroupFile(dir, "pids.current"))
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		gomega.Expect(current).To(gomega.BeNumerically("<=", podPidsLimit))
		gomega.Expect(current).To(gomega.BeNumerically(">", podPidsLimit/2), "the pod did start many processes")
	})
})
