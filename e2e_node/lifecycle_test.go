package e2e_node

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// deletePodAndWait deletes the pod and returns how long it took to be gone.
func deletePodAndWait(ctx context.Context, ns, name string) time.Duration {
	ginkgo.GinkgoHelper()
	start := time.Now()
	gomega.Expect(env.client.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{})).To(gomega.Succeed())
	gomega.Eventually(ctx, func(ctx context.Context) bool {
		_, err := env.client.CoreV1().Pods(ns).Get(ctx, name, metaGet)
		return apierrors.IsNotFound(err)
	}).WithTimeout(2*time.Minute).WithPolling(100*time.Millisecond).Should(gomega.BeTrue(), "pod %s/%s not gone", ns, name)
	return time.Since(start)
}

// hostDirPod mounts a fresh node directory at /host in the pod, so that
// what the pod writes there outlives it.
func hostDirPod(pod *v1.Pod) string {
	dir := ginkgo.GinkgoT().TempDir()
	mountVolume(pod, v1.Volume{Name: "host", VolumeSource: v1.VolumeSource{HostPath: &v1.HostPathVolumeSource{Path: dir}}}, "/host")
	return dir
}

var _ = ginkgo.Describe("Lifecycle hooks", ginkgo.Label("NodeConformance"), func() {
	var ns string
	ginkgo.BeforeEach(func(ctx context.Context) { ns = createNamespace(ctx, "hooks") })

	ginkgo.It("runs an exec postStart hook before the container counts as running, and an exec preStop hook on deletion", func(ctx context.Context) {
		name := uniqueName("exec-hooks")
		pod := busyboxPod(name, "sh", "-c", "sleep 3600")
		dir := hostDirPod(pod)
		pod.Spec.Containers[0].Lifecycle = &v1.Lifecycle{
			PostStart: &v1.LifecycleHandler{Exec: &v1.ExecAction{Command: []string{"sh", "-c", "echo started > /host/poststart"}}},
			PreStop:   &v1.LifecycleHandler{Exec: &v1.ExecAction{Command: []string{"sh", "-c", "echo stopping > /host/prestop"}}},
		}
		createPod(ctx, ns, pod)
		awaitPodPhase(ctx, ns, name, v1.PodRunning, 2*time.Minute)
		got, err := os.ReadFile(filepath.Join(dir, "poststart"))
		gomega.Expect(err).NotTo(gomega.HaveOccurred(), "postStart must have run when the pod is Running")
		gomega.Expect(string(got)).To(gomega.Equal("started\n"))
		deletePodAndWait(ctx, ns, name)
		got, err = os.ReadFile(filepath.Join(dir, "prestop"))
		gomega.Expect(err).NotTo(gomega.HaveOccurred(), "preStop must have run before the container stopped")
		gomega.Expect(string(got)).To(gomega.Equal("stopping\n"))
	})

	ginkgo.It("calls HTTP postStart and preStop hooks", func(ctx context.Context) {
		// The hooks call a handler pod; its request log shows the calls.
		handler := uniqueName("handler")
		createPod(ctx, ns, testImagePod(handler, "serve", "--port=8080"))
		hp := awaitPodPhase(ctx, ns, handler, v1.PodRunning, 2*time.Minute)
		gomega.Eventually(ctx, func() (string, error) {
			return httpGet("http://" + net.JoinHostPort(hp.Status.PodIP, "8080") + "/healthz")
		}).WithTimeout(30 * time.Second).Should(gomega.Equal("ok"))

		name := uniqueName("http-hooks")
		pod := busyboxPod(name, "sleep", "3600")
		get := func(msg string) *v1.LifecycleHandler {
			return &v1.LifecycleHandler{HTTPGet: &v1.HTTPGetAction{Host: hp.Status.PodIP, Port: intstr.FromInt32(8080), Path: "/echo?msg=" + msg}}
		}
		pod.Spec.Containers[0].Lifecycle = &v1.Lifecycle{PostStart: get("poststart-" + name), PreStop: get("prestop-" + name)}
		createPod(ctx, ns, pod)
		awaitPodPhase(ctx, ns, name, v1.PodRunning, 2*time.Minute)
		gomega.Expect(podLogs(ctx, ns, handler, "main", false)).To(gomega.ContainSubstring("msg=poststart-"+name), "the postStart hook must have been called when the pod is Running")
		gomega.Expect(podLogs(ctx, ns, handler, "main", false)).NotTo(gomega.ContainSubstring("msg=prestop-" + name))
		deletePodAndWait(ctx, ns, name)
		gomega.Expect(podLogs(ctx, ns, handler, "main", false)).To(gomega.ContainSubstring("msg=prestop-"+name), "the preStop hook must have been called before the container stopped")
	})

	ginkgo.It("pauses termination for a sleep preStop action", func(ctx context.Context) {
		name := uniqueName("sleep-hook")
		pod := busyboxPod(name, "sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait")
		pod.Spec.TerminationGracePeriodSeconds = ptr.To[int64](30)
		pod.Spec.Containers[0].Lifecycle = &v1.Lifecycle{PreStop: &v1.LifecycleHandler{Sleep: &v1.SleepAction{Seconds: 3}}}
		createPod(ctx, ns, pod)
		awaitPodPhase(ctx, ns, name, v1.PodRunning, 2*time.Minute)
		took := deletePodAndWait(ctx, ns, name)
		gomega.Expect(took).To(gomega.BeNumerically(">=", 3*time.Second), "the pod went away before the 3s preStop sleep ended")
		gomega.Expect(took).To(gomega.BeNumerically("<", 25*time.Second), "the container exits on SIGTERM once the sleep ends")
	})
})

var _ = ginkgo.Describe("Termination grace period", ginkgo.Label("NodeConformance"), func() {
	var ns string
	ginkgo.BeforeEach(func(ctx context.Context) { ns = createNamespace(ctx, "grace") })

	ginkgo.It("sends SIGTERM, waits for the grace period, then SIGKILLs a container that ignores it", func(ctx context.Context) {
		name := uniqueName("ignore-term")
		pod := busyboxPod(name, "sh", "-c", "trap 'echo got TERM >> /host/signals' TERM; while true; do sleep 0.2; done")
		dir := hostDirPod(pod)
		pod.Spec.TerminationGracePeriodSeconds = ptr.To[int64](4)
		createPod(ctx, ns, pod)
		awaitPodPhase(ctx, ns, name, v1.PodRunning, 2*time.Minute)
		took := deletePodAndWait(ctx, ns, name)
		gomega.Expect(took).To(gomega.BeNumerically(">=", 4*time.Second), "killed before the grace period ended")
		gomega.Expect(took).To(gomega.BeNumerically("<", 30*time.Second), "not killed after the grace period")
		got, err := os.ReadFile(filepath.Join(dir, "signals"))
		gomega.Expect(err).NotTo(gomega.HaveOccurred(), "the container never saw SIGTERM")
		gomega.Expect(strings.TrimSpace(string(got))).To(gomega.HavePrefix("got TERM"))
	})

	ginkgo.It("stops a container that exits on SIGTERM without waiting for the grace period", func(ctx context.Context) {
		name := uniqueName("honour-term")
		pod := busyboxPod(name, "sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done")
		pod.Spec.TerminationGracePeriodSeconds = ptr.To[int64](60)
		createPod(ctx, ns, pod)
		awaitPodPhase(ctx, ns, name, v1.PodRunning, 2*time.Minute)
		gomega.Expect(deletePodAndWait(ctx, ns, name)).To(gomega.BeNumerically("<", 20*time.Second))
	})
})
