package e2e_node

import (
	"context"
	"fmt"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/node-e2e/harness/services"
)

// exitedContainers counts the runtime's exited containers of the pod.
func exitedContainers(ctx context.Context, uid string) (int, error) {
	conn, err := services.DialCRI(env.info.RuntimeEndpoint)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	rs := runtimeapi.NewRuntimeServiceClient(conn)
	resp, err := rs.ListContainers(ctx, &runtimeapi.ListContainersRequest{Filter: &runtimeapi.ContainerFilter{
		State:         &runtimeapi.ContainerStateValue{State: runtimeapi.ContainerState_CONTAINER_EXITED},
		LabelSelector: map[string]string{"io.kubernetes.pod.uid": uid},
	}})
	if err != nil {
		return 0, fmt.Errorf("list containers over CRI: %w", err)
	}
	return len(resp.Containers), nil
}

var _ = ginkgo.Describe("Container garbage collection", ginkgo.Label("NodeConformance", "Slow"), func() {
	// Crash-loop back-off and the kubelet's once-a-minute GC make this one
	// of the longest specs: it starts first.
	ginkgo.It("removes a restarting container's dead instances but keeps the latest for its logs", ginkgo.SpecPriority(1), func(ctx context.Context) {
		ns := createNamespace(ctx, "gc")
		name := uniqueName("crasher")
		pod := busyboxPod(name, "sh", "-c", "echo attempt; exit 1")
		pod.Spec.RestartPolicy = v1.RestartPolicyAlways
		createPod(ctx, ns, pod)
		// Three restarts take about 70s of crash-loop back-off (10s, 20s,
		// 40s); the kubelet's container GC runs every minute meanwhile.
		p := awaitPod(ctx, ns, name, 4*time.Minute, "restarted three times", func(p *v1.Pod) bool { return restartCount(p) >= 3 })
		uid := string(p.UID)
		// The kubelet keeps one dead container per container name
		// (MaxPerPodContainer), so that `kubectl logs --previous` works;
		// the older ones are garbage.
		gomega.Eventually(ctx, func(ctx context.Context) (int, error) { return exitedContainers(ctx, uid) }).
			WithTimeout(2*time.Minute).WithPolling(2*time.Second).Should(gomega.BeNumerically("<=", 1),
			"after %d restarts the runtime must not hold more than one dead instance of the container", restartCount(p))
		// The container keeps crash-looping, so a status read just before a
		// restart may name an instance that has just been collected: retry.
		gomega.Eventually(ctx, func(ctx context.Context) (string, error) {
			b, err := env.client.CoreV1().Pods(ns).GetLogs(name, &v1.PodLogOptions{Container: "main", Previous: true}).DoRaw(ctx)
			return string(b), err
		}).WithTimeout(time.Minute).WithPolling(time.Second).Should(gomega.Equal("attempt\n"), "the previous instance's logs stay readable")
	}, ginkgo.NodeTimeout(8*time.Minute))
})
