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

	"github.com/node-e2e/harness/e2e_node/nodefacts"
)

var _ = ginkgo.Describe("Container logs", ginkgo.Label("NodeConformance"), func() {
	var ns string
	ginkgo.BeforeEach(func(ctx context.Context) { ns = createNamespace(ctx, "logs") })

	ginkgo.It("keeps each container's log under <pod logs dir>/<namespace>_<pod>_<uid>/<container>/", func(ctx context.Context) {
		needFact(env.info.PodLogsDir, nodefacts.PodLogsDir)
		name := uniqueName("layout")
		pod := createPod(ctx, ns, busyboxPod(name, "sh", "-c", "echo line-one; echo line-two"))
		awaitPodPhase(ctx, ns, name, v1.PodSucceeded, 2*time.Minute)
		path := filepath.Join(env.info.PodLogsDir, fmt.Sprintf("%s_%s_%s", ns, name, pod.UID), "main", "0.log")
		b, err := os.ReadFile(path)
		gomega.Expect(err).NotTo(gomega.HaveOccurred(), "log file for the first run of container main")
		// CRI log format: <RFC3339Nano time> <stream> <tag> <message>.
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		gomega.Expect(lines).To(gomega.HaveLen(2))
		for i, want := range []string{"line-one", "line-two"} {
			f := strings.SplitN(lines[i], " ", 4)
			gomega.Expect(f).To(gomega.HaveLen(4), lines[i])
			_, err := time.Parse(time.RFC3339Nano, f[0])
			gomega.Expect(err).NotTo(gomega.HaveOccurred(), "timestamp of %q", lines[i])
			gomega.Expect(f[1]).To(gomega.Equal("stdout"))
			gomega.Expect(f[3]).To(gomega.Equal(want))
		}
	})

	ginkgo.It("serves the previous container's logs after a restart", func(ctx context.Context) {
		name := uniqueName("previous")
		pod := busyboxPod(name, "sh", "-c", "if [ -e /state/ran ]; then echo second run; sleep 3600; fi; touch /state/ran; echo first run; exit 1")
		pod.Spec.RestartPolicy = v1.RestartPolicyOnFailure
		mountVolume(pod, emptyDir("state"), "/state")
		createPod(ctx, ns, pod)
		awaitPod(ctx, ns, name, 2*time.Minute, "running again after one restart", func(p *v1.Pod) bool {
			return restartCount(p) == 1 && p.Status.ContainerStatuses[0].State.Running != nil
		})
		awaitLogs(ctx, ns, name, "main", 30*time.Second).Should(gomega.Equal("second run\n"))
		gomega.Expect(podLogs(ctx, ns, name, "main", true)).To(gomega.Equal("first run\n"))
	})
})
