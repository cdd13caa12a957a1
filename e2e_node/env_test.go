package e2e_node

import (
	"context"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// podLogs returns the logs of the pod's container.
func podLogs(ctx context.Context, ns, name, container string, previous bool) string {
	ginkgo.GinkgoHelper()
	b, err := env.client.CoreV1().Pods(ns).GetLogs(name, &v1.PodLogOptions{Container: container, Previous: previous}).DoRaw(ctx)
	gomega.Expect(err).NotTo(gomega.HaveOccurred(), "logs of %s/%s", ns, name)
	return string(b)
}

// awaitLogs polls the logs of a container until the returned assertion's
// matcher holds, for up to timeout.
func awaitLogs(ctx context.Context, ns, name, container string, timeout time.Duration) gomega.AsyncAssertion {
	return gomega.Eventually(ctx, func(ctx context.Context) string { return podLogs(ctx, ns, name, container, false) }).
		WithTimeout(timeout).WithPolling(500 * time.Millisecond)
}

// runToCompletion creates pod, waits for Succeeded and returns its logs.
func runToCompletion(ctx context.Context, ns string, pod *v1.Pod) string {
	ginkgo.GinkgoHelper()
	createPod(ctx, ns, pod)
	awaitPodPhase(ctx, ns, pod.Name, v1.PodSucceeded, 2*time.Minute)
	return podLogs(ctx, ns, pod.Name, pod.Spec.Containers[0].Name, false)
}

var _ = ginkgo.Describe("Command, args and environment", ginkgo.Label("NodeConformance"), func() {
	var ns string
	ginkgo.BeforeEach(func(ctx context.Context) { ns = createNamespace(ctx, "env") })

	ginkgo.It("expands $(VAR) references in command, args and env, and leaves $$ escaped", func(ctx context.Context) {
		// No shell: what echo prints is what the kubelet expanded.
		pod := busyboxPod(uniqueName("expand"), "echo", "cmd=$(GREETING)")
		pod.Spec.Containers[0].Args = []string{"env=$(COMBINED)", "literal=$$(GREETING)", "missing=$(NOPE)"}
		pod.Spec.Containers[0].Env = []v1.EnvVar{
			{Name: "GREETING", Value: "hello"},
			{Name: "COMBINED", Value: "$(GREETING)-world"},
		}
		out := runToCompletion(ctx, ns, pod)
		gomega.Expect(strings.TrimSpace(out)).To(gomega.Equal("cmd=hello env=hello-world literal=$(GREETING) missing=$(NOPE)"))
	})

	ginkgo.It("runs args with the image's entrypoint replaced by command", func(ctx context.Context) {
		pod := busyboxPod(uniqueName("cmd"), "echo")
		pod.Spec.Containers[0].Args = []string{"one", "two"}
		gomega.Expect(strings.TrimSpace(runToCompletion(ctx, ns, pod))).To(gomega.Equal("one two"))
	})
})

var _ = ginkgo.Describe("Downward API", ginkgo.Label("NodeConformance"), func() {
	var ns string
	ginkgo.BeforeEach(func(ctx context.Context) { ns = createNamespace(ctx, "downward") })

	ginkgo.It("exposes pod fields and container resources as environment variables", func(ctx context.Context) {
		name := uniqueName("dapi-env")
		pod := busyboxPod(name, "sh", "-c", "echo name=$POD_NAME ns=$POD_NS node=$NODE ip=$POD_IP hostip=$HOST_IP mem=$MEM_LIMIT")
		c := &pod.Spec.Containers[0]
		c.Resources.Limits = v1.ResourceList{v1.ResourceMemory: resource.MustParse("64Mi")}
		field := func(n, path string) v1.EnvVar {
			return v1.EnvVar{Name: n, ValueFrom: &v1.EnvVarSource{FieldRef: &v1.ObjectFieldSelector{FieldPath: path}}}
		}
		c.Env = []v1.EnvVar{
			field("POD_NAME", "metadata.name"), field("POD_NS", "metadata.namespace"),
			field("NODE", "spec.nodeName"), field("POD_IP", "status.podIP"), field("HOST_IP", "status.hostIP"),
			{Name: "MEM_LIMIT", ValueFrom: &v1.EnvVarSource{ResourceFieldRef: &v1.ResourceFieldSelector{Resource: "limits.memory", Divisor: resource.MustParse("1Mi")}}},
		}
		createPod(ctx, ns, pod)
		p := awaitPodPhase(ctx, ns, name, v1.PodSucceeded, 2*time.Minute)
		out := strings.TrimSpace(podLogs(ctx, ns, name, "main", false))
		gomega.Expect(out).To(gomega.Equal("name=" + name + " ns=" + ns + " node=" + env.info.NodeName + " ip=" + p.Status.PodIP + " hostip=" + p.Status.HostIP + " mem=64"))
	})

	ginkgo.It("projects labels and annotations into a volume and updates them", func(ctx context.Context) {
		name := uniqueName("dapi-vol")
		pod := busyboxPod(name, "sh", "-c", "while true; do cat /info/labels; echo; echo ---; sleep 1; done")
		pod.Labels = map[string]string{"stage": "one"}
		pod.Spec.Volumes = []v1.Volume{{Name: "info", VolumeSource: v1.VolumeSource{DownwardAPI: &v1.DownwardAPIVolumeSource{
			Items: []v1.DownwardAPIVolumeFile{{Path: "labels", FieldRef: &v1.ObjectFieldSelector{FieldPath: "metadata.labels"}}},
		}}}}
		pod.Spec.Containers[0].VolumeMounts = []v1.VolumeMount{{Name: "info", MountPath: "/info"}}
		createPod(ctx, ns, pod)
		awaitPodPhase(ctx, ns, name, v1.PodRunning, 2*time.Minute)
		awaitLogs(ctx, ns, name, "main", time.Minute).Should(gomega.ContainSubstring(`stage="one"`))

		p, err := env.client.CoreV1().Pods(ns).Get(ctx, name, metaGet)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		p.Labels["stage"] = "two"
		_, err = env.client.CoreV1().Pods(ns).Update(ctx, p, metaUpdate)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		awaitLogs(ctx, ns, name, "main", 3*time.Minute).Should(gomega.ContainSubstring(`stage="two"`), "the kubelet must refresh the downward API volume after a label change")
	})
})
