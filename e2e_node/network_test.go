package e2e_node

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	v1 "k8s.io/api/core/v1"
)

var _ = ginkgo.Describe("Pod networking", ginkgo.Label("NodeConformance"), func() {
	ginkgo.It("gives pods their own IPs, the node's host IP, and carries host-to-pod and pod-to-pod traffic", func(ctx context.Context) {
		ns := createNamespace(ctx, "net")
		server := uniqueName("server")
		createPod(ctx, ns, webPod(server, "echo pod-to-pod > /www/hello"))
		sp := awaitPodPhase(ctx, ns, server, v1.PodRunning, 2*time.Minute)
		gomega.Expect(net.ParseIP(sp.Status.PodIP)).NotTo(gomega.BeNil(), "pod IP %q", sp.Status.PodIP)
		gomega.Expect(sp.Status.PodIP).NotTo(gomega.Equal(sp.Status.HostIP), "a pod off the host network has its own IP")

		node, err := env.client.CoreV1().Nodes().Get(ctx, env.info.NodeName, metaGet)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		var internal []string
		for _, a := range node.Status.Addresses {
			if a.Type == v1.NodeInternalIP {
				internal = append(internal, a.Address)
			}
		}
		gomega.Expect(internal).To(gomega.ContainElement(sp.Status.HostIP), "hostIP is one of the node's InternalIPs")

		// Host to pod: this process runs on the node.
		url := "http://" + net.JoinHostPort(sp.Status.PodIP, "8080") + "/hello"
		gomega.Eventually(ctx, func() (string, error) {
			c := http.Client{Timeout: 2 * time.Second}
			resp, err := c.Get(url)
			if err != nil {
				return "", err
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			return string(b), err
		}).WithTimeout(30 * time.Second).Should(gomega.Equal("pod-to-pod\n"))

		// Pod to pod.
		client := busyboxPod(uniqueName("client"), "wget", "-q", "-O-", url)
		out := runToCompletion(ctx, ns, client)
		gomega.Expect(out).To(gomega.Equal("pod-to-pod\n"))
		cp, err := env.client.CoreV1().Pods(ns).Get(ctx, client.Name, metaGet)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		gomega.Expect(cp.Status.PodIP).NotTo(gomega.Equal(sp.Status.PodIP), "each pod has its own IP")
	})

	ginkgo.It("runs hostNetwork pods in the node's network namespace", func(ctx context.Context) {
		ns := createNamespace(ctx, "hostnet")
		pod := busyboxPod(uniqueName("hostnet"), "sh", "-c", "ip -o -4 addr show | awk '{print $4}'")
		pod.Spec.HostNetwork = true
		out := runToCompletion(ctx, ns, pod)
		addrs, err := net.InterfaceAddrs()
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil {
				gomega.Expect(strings.Fields(out)).To(gomega.ContainElement(ipn.String()), "the node's address %s", ipn)
			}
		}
	})
})
