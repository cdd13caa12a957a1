package e2e_node

import (
	"context"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// webPod serves /www (with /healthz) over HTTP on port 8080 with busybox
// httpd, once script has run.
func webPod(name, script string) *v1.Pod {
	pod := busyboxPod(name, "sh", "-c", "mkdir -p /www && echo ok > /www/healthz && "+script+" && exec httpd -f -p 8080 -h /www")
	pod.Spec.RestartPolicy = v1.RestartPolicyAlways
	pod.Spec.Containers[0].Ports = []v1.ContainerPort{{ContainerPort: 8080}}
	return pod
}

func containerReady(p *v1.Pod) bool {
	return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].Ready
}

var _ = ginkgo.Describe("Probes", ginkgo.Label("NodeConformance"), func() {
	var ns string
	ginkgo.BeforeEach(func(ctx context.Context) { ns = createNamespace(ctx, "probe") })

	ginkgo.It("keep a container unready until its HTTP readiness probe succeeds", func(ctx context.Context) {
		name := uniqueName("http-ready")
		pod := webPod(name, "true")
		pod.Spec.Containers[0].ReadinessProbe = &v1.Probe{
			ProbeHandler:  v1.ProbeHandler{HTTPGet: &v1.HTTPGetAction{Path: "/ready.html", Port: intstr.FromInt32(8080)}},
			PeriodSeconds: 1, FailureThreshold: 1,
		}
		createPod(ctx, ns, pod)
		awaitPodPhase(ctx, ns, name, v1.PodRunning, 2*time.Minute)
		gomega.Consistently(ctx, func(ctx context.Context) bool {
			p, err := env.client.CoreV1().Pods(ns).Get(ctx, name, metaGet)
			return err == nil && containerReady(p)
		}).WithTimeout(4*time.Second).WithPolling(500*time.Millisecond).Should(gomega.BeFalse(), "ready although /ready.html is missing")
		_, _, err := execInPod(ctx, ns, name, "main", "sh", "-c", "echo yes > /www/ready.html")
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		awaitPod(ctx, ns, name, time.Minute, "Ready", containerReady)
	})

	ginkgo.It("restart a container whose exec liveness probe fails", func(ctx context.Context) {
		name := uniqueName("exec-live")
		pod := busyboxPod(name, "sh", "-c", "touch /tmp/alive; sleep 3; rm /tmp/alive; sleep 3600")
		pod.Spec.RestartPolicy = v1.RestartPolicyAlways
		pod.Spec.Containers[0].LivenessProbe = &v1.Probe{
			ProbeHandler:        v1.ProbeHandler{Exec: &v1.ExecAction{Command: []string{"test", "-e", "/tmp/alive"}}},
			InitialDelaySeconds: 1, PeriodSeconds: 1, FailureThreshold: 1,
		}
		createPod(ctx, ns, pod)
		awaitPod(ctx, ns, name, 2*time.Minute, "restarted by its liveness probe", func(p *v1.Pod) bool { return restartCount(p) >= 1 })
	})

	ginkgo.It("mark a container ready through a TCP readiness probe and keep a healthy one alive", func(ctx context.Context) {
		name := uniqueName("tcp")
		pod := webPod(name, "true")
		c := &pod.Spec.Containers[0]
		c.ReadinessProbe = &v1.Probe{ProbeHandler: v1.ProbeHandler{TCPSocket: &v1.TCPSocketAction{Port: intstr.FromInt32(8080)}}, PeriodSeconds: 1}
		c.LivenessProbe = &v1.Probe{ProbeHandler: v1.ProbeHandler{HTTPGet: &v1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(8080)}}, PeriodSeconds: 1, FailureThreshold: 1}
		createPod(ctx, ns, pod)
		awaitPod(ctx, ns, name, 2*time.Minute, "Ready", containerReady)
		gomega.Consistently(ctx, func(ctx context.Context) int32 {
			p, err := env.client.CoreV1().Pods(ns).Get(ctx, name, metaGet)
			if err != nil {
				return -1
			}
			return restartCount(p)
		}).WithTimeout(5*time.Second).WithPolling(time.Second).Should(gomega.BeZero(), "a passing liveness probe must not restart the container")
	})

	ginkgo.It("hold back readiness and liveness until the startup probe succeeds", func(ctx context.Context) {
		name := uniqueName("startup")
		pod := webPod(name, "sleep 4")
		c := &pod.Spec.Containers[0]
		c.StartupProbe = &v1.Probe{ProbeHandler: v1.ProbeHandler{HTTPGet: &v1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(8080)}}, PeriodSeconds: 1, FailureThreshold: 30}
		// Would kill the container during the slow start if it ran early.
		c.LivenessProbe = &v1.Probe{ProbeHandler: v1.ProbeHandler{HTTPGet: &v1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(8080)}}, PeriodSeconds: 1, FailureThreshold: 1}
		createPod(ctx, ns, pod)
		p := awaitPod(ctx, ns, name, 2*time.Minute, "Ready", containerReady)
		gomega.Expect(restartCount(p)).To(gomega.BeZero(), "liveness ran before the startup probe succeeded")
		gomega.Expect(*p.Status.ContainerStatuses[0].Started).To(gomega.BeTrue())
	})

	ginkgo.It("mark a container ready through a gRPC readiness probe and restart one whose gRPC liveness probe fails", func(ctx context.Context) {
		ready := uniqueName("grpc-ready")
		pod := testImagePod(ready, "grpc-health", "--port=8081")
		pod.Spec.RestartPolicy = v1.RestartPolicyAlways
		pod.Spec.Containers[0].ReadinessProbe = &v1.Probe{
			ProbeHandler:  v1.ProbeHandler{GRPC: &v1.GRPCAction{Port: 8081}},
			PeriodSeconds: 1, FailureThreshold: 1,
		}
		createPod(ctx, ns, pod)

		sick := uniqueName("grpc-live")
		pod = testImagePod(sick, "grpc-health", "--port=8081", "--status=NOT_SERVING")
		pod.Spec.RestartPolicy = v1.RestartPolicyAlways
		pod.Spec.Containers[0].LivenessProbe = &v1.Probe{
			ProbeHandler:        v1.ProbeHandler{GRPC: &v1.GRPCAction{Port: 8081}},
			InitialDelaySeconds: 1, PeriodSeconds: 1, FailureThreshold: 1,
		}
		createPod(ctx, ns, pod)

		awaitPod(ctx, ns, ready, 2*time.Minute, "Ready through its gRPC probe", containerReady)
		awaitPod(ctx, ns, sick, 2*time.Minute, "restarted by its gRPC liveness probe", func(p *v1.Pod) bool { return restartCount(p) >= 1 })
		awaitEvent(ctx, ns, sick, "Unhealthy", "Liveness probe failed")
		p, err := env.client.CoreV1().Pods(ns).Get(ctx, ready, metaGet)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		gomega.Expect(restartCount(p)).To(gomega.BeZero(), "a SERVING container must not be restarted")
	})
})
