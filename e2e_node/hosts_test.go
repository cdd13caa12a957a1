package e2e_node

import (
	"context"
	"strings"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	v1 "k8s.io/api/core/v1"
)

var _ = ginkgo.Describe("/etc/hosts and hostname", ginkgo.Label("NodeConformance"), func() {
	var ns string
	ginkgo.BeforeEach(func(ctx context.Context) { ns = createNamespace(ctx, "hosts") })

	ginkgo.It("manages /etc/hosts with the pod's name, IP and hostAliases", func(ctx context.Context) {
		name := uniqueName("hosts")
		pod := busyboxPod(name, "sh", "-c", "cat /etc/hosts; echo hostname=$(hostname)")
		pod.Spec.HostAliases = []v1.HostAlias{{IP: "10.9.9.9", Hostnames: []string{"alias-one", "alias-two"}}}
		out := runToCompletion(ctx, ns, pod)
		gomega.Expect(out).To(gomega.ContainSubstring("# Kubernetes-managed hosts file"))
		gomega.Expect(out).To(gomega.MatchRegexp(`(?m)^10\.9\.9\.9\s+alias-one\s+alias-two$`))
		gomega.Expect(out).To(gomega.MatchRegexp(`(?m)^\S+\s+`+name+`$`), "the pod's own IP and name")
		gomega.Expect(out).To(gomega.ContainSubstring("hostname=" + name))
	})

	ginkgo.It("sets hostname and FQDN from spec.hostname and spec.subdomain", func(ctx context.Context) {
		pod := busyboxPod(uniqueName("fqdn"), "sh", "-c", "hostname; grep -c 'myhost.mysub."+"' /etc/hosts")
		pod.Spec.Hostname = "myhost"
		pod.Spec.Subdomain = "mysub"
		out := runToCompletion(ctx, ns, pod)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		gomega.Expect(lines[0]).To(gomega.Equal("myhost"))
		gomega.Expect(lines[1]).To(gomega.Equal("1"), "/etc/hosts lists the FQDN myhost.mysub.<ns>.svc.<domain>:\n%s", out)
	})

	ginkgo.It("gives hostNetwork pods a copy of the node's /etc/hosts", func(ctx context.Context) {
		pod := busyboxPod(uniqueName("hostnet"), "sh", "-c", "cat /etc/hosts")
		pod.Spec.HostNetwork = true
		out := runToCompletion(ctx, ns, pod)
		gomega.Expect(out).To(gomega.ContainSubstring("# Kubernetes-managed hosts file (host network)."))
		nodeHosts, err := readFile("/etc/hosts")
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		for _, line := range strings.Split(nodeHosts, "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				gomega.Expect(out).To(gomega.ContainSubstring(line), "the node's /etc/hosts line %q", line)
			}
		}
	})
})
