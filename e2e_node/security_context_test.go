package e2e_node

import (
	"context"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	v1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

var _ = ginkgo.Describe("Security context", ginkgo.Label("NodeConformance"), func() {
	var ns string
	ginkgo.BeforeEach(func(ctx context.Context) { ns = createNamespace(ctx, "secctx") })

	ginkgo.It("runs as the requested user, group and supplemental groups", func(ctx context.Context) {
		pod := busyboxPod(uniqueName("ids"), "sh", "-c", "id -u; id -g; id -G")
		pod.Spec.SecurityContext = &v1.PodSecurityContext{RunAsUser: ptr.To[int64](1234), RunAsGroup: ptr.To[int64](2345), SupplementalGroups: []int64{3456}}
		lines := strings.Split(strings.TrimSpace(runToCompletion(ctx, ns, pod)), "\n")
		gomega.Expect(lines).To(gomega.HaveLen(3))
		gomega.Expect(lines[0]).To(gomega.Equal("1234"))
		gomega.Expect(lines[1]).To(gomega.Equal("2345"))
		gomega.Expect(strings.Fields(lines[2])).To(gomega.ContainElement("3456"))
	})

	ginkgo.It("makes the root filesystem read-only when asked", func(ctx context.Context) {
		pod := busyboxPod(uniqueName("rofs"), "sh", "-c", "if touch /should-fail 2>/dev/null; then echo writable; else echo read-only; fi; touch /tmp/ok 2>/dev/null && echo tmp-writable || echo tmp-read-only")
		pod.Spec.Containers[0].SecurityContext = &v1.SecurityContext{ReadOnlyRootFilesystem: ptr.To(true)}
		gomega.Expect(strings.Fields(runToCompletion(ctx, ns, pod))).To(gomega.Equal([]string{"read-only", "tmp-read-only"}))
	})

	ginkgo.It("sets no_new_privs with allowPrivilegeEscalation=false and not without it", func(ctx context.Context) {
		off := busyboxPod(uniqueName("nnp"), "sh", "-c", "grep NoNewPrivs /proc/self/status")
		off.Spec.Containers[0].SecurityContext = &v1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false)}
		gomega.Expect(strings.Fields(runToCompletion(ctx, ns, off))).To(gomega.Equal([]string{"NoNewPrivs:", "1"}))
		on := busyboxPod(uniqueName("nnp-default"), "sh", "-c", "grep NoNewPrivs /proc/self/status")
		gomega.Expect(strings.Fields(runToCompletion(ctx, ns, on))).To(gomega.Equal([]string{"NoNewPrivs:", "0"}))
	})

	ginkgo.It("lets a privileged container mount filesystems and an unprivileged one not", func(ctx context.Context) {
		script := "mkdir -p /mnt/t && if mount -t tmpfs none /mnt/t 2>/dev/null; then echo mounted; else echo denied; fi"
		priv := busyboxPod(uniqueName("priv"), "sh", "-c", script)
		priv.Spec.Containers[0].SecurityContext = &v1.SecurityContext{Privileged: ptr.To(true)}
		gomega.Expect(strings.TrimSpace(runToCompletion(ctx, ns, priv))).To(gomega.Equal("mounted"))
		unpriv := busyboxPod(uniqueName("unpriv"), "sh", "-c", script)
		gomega.Expect(strings.TrimSpace(runToCompletion(ctx, ns, unpriv))).To(gomega.Equal("denied"))
	})

	ginkgo.It("shares the process namespace between containers with shareProcessNamespace", func(ctx context.Context) {
		name := uniqueName("sharepid")
		pod := busyboxPod(name, "sh", "-c", "sleep 3600")
		pod.Spec.ShareProcessNamespace = ptr.To(true)
		createPod(ctx, ns, pod)
		awaitPodPhase(ctx, ns, name, v1.PodRunning, 2*time.Minute)
		var out string
		gomega.Eventually(ctx, func() error {
			var err error
			out, _, err = execInPod(ctx, ns, name, "main", "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '")
			return err
		}).WithTimeout(30 * time.Second).Should(gomega.Succeed())
		gomega.Expect(out).To(gomega.HavePrefix("/pause"), "PID 1 of a shared process namespace is the sandbox's pause")
	})
})

var _ = ginkgo.Describe("Sysctls", ginkgo.Label("NodeConformance"), func() {
	var ns string
	ginkgo.BeforeEach(func(ctx context.Context) { ns = createNamespace(ctx, "sysctl") })

	ginkgo.It("applies a safe namespaced sysctl", func(ctx context.Context) {
		pod := busyboxPod(uniqueName("safe"), "cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start")
		pod.Spec.SecurityContext = &v1.PodSecurityContext{Sysctls: []v1.Sysctl{{Name: "net.ipv4.ip_unprivileged_port_start", Value: "123"}}}
		gomega.Expect(strings.TrimSpace(runToCompletion(ctx, ns, pod))).To(gomega.Equal("123"))
	})

	ginkgo.It("rejects a pod asking for an unsafe sysctl the kubelet does not allow", func(ctx context.Context) {
		name := uniqueName("unsafe")
		pod := busyboxPod(name, "sleep", "3600")
		pod.Spec.SecurityContext = &v1.PodSecurityContext{Sysctls: []v1.Sysctl{{Name: "kernel.msgmax", Value: "10000"}}}
		createPod(ctx, ns, pod)
		p := awaitPodPhase(ctx, ns, name, v1.PodFailed, 2*time.Minute)
		gomega.Expect(p.Status.Reason).To(gomega.Equal("SysctlForbidden"), describePodStatus(p))
	})
})
