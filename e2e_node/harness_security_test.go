package e2e_node

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	v1 "k8s.io/api/core/v1"
)

// These specs check the harness's own promises about the node it brings up:
// loopback-only control plane, per-run credentials kept private, a kubelet
// that authenticates and authorizes every request.
var _ = ginkgo.Describe("Harness security", ginkgo.Label("Harness"), func() {
	ginkgo.BeforeEach(needHarnessNode)
	insecureGet := func(ctx context.Context, u, token string) (int, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return 0, err
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		c := http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
		resp, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}

	ginkgo.It("serves the API server on loopback only and refuses wrong and missing tokens", func(ctx context.Context) {
		u, err := url.Parse(env.restConfig.Host)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		gomega.Expect(net.ParseIP(u.Hostname()).IsLoopback()).To(gomega.BeTrue(), "API server at %s", u.Host)
		for _, tok := range []string{"", "wrong-token"} {
			code, err := insecureGet(ctx, env.restConfig.Host+"/api/v1/namespaces", tok)
			gomega.Expect(err).NotTo(gomega.HaveOccurred())
			gomega.Expect(code).To(gomega.Equal(http.StatusUnauthorized), "token %q", tok)
		}
	})

	ginkgo.It("runs a kubelet that refuses anonymous requests and has no read-only port", func(ctx context.Context) {
		node, err := env.client.CoreV1().Nodes().Get(ctx, env.info.NodeName, metaGet)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		port := node.Status.DaemonEndpoints.KubeletEndpoint.Port
		var ip string
		for _, a := range node.Status.Addresses {
			if a.Type == v1.NodeInternalIP {
				ip = a.Address
			}
		}
		gomega.Expect(ip).NotTo(gomega.BeEmpty())
		base := "https://" + net.JoinHostPort(ip, fmt.Sprint(port))
		for _, path := range []string{"/pods", "/metrics", "/exec/ns/pod/c?command=id"} {
			code, err := insecureGet(ctx, base+path, "")
			gomega.Expect(err).NotTo(gomega.HaveOccurred())
			gomega.Expect(code).To(gomega.Equal(http.StatusUnauthorized), "anonymous %s", path)
		}
		code, err := insecureGet(ctx, base+"/pods", "wrong-token")
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		gomega.Expect(code).To(gomega.Equal(http.StatusUnauthorized), "wrong token")
		_, err = net.DialTimeout("tcp", net.JoinHostPort(ip, "10255"), 2*time.Second)
		gomega.Expect(errors.Is(err, syscall.ECONNREFUSED)).To(gomega.BeTrue(), "the read-only port 10255 must be closed: %v", err)
	})

	ginkgo.It("keeps the run directory 0700 and every credential file 0600", func() {
		if env.info.RunDir == "" {
			ginkgo.Skip("the run directory is unknown: the node was not started by this harness")
		}
		st, err := os.Stat(env.info.RunDir)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		gomega.Expect(st.Mode().Perm()).To(gomega.Equal(fs.FileMode(0o700)), env.info.RunDir)
		pki := filepath.Join(env.info.RunDir, "pki")
		files, err := os.ReadDir(pki)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		gomega.Expect(files).NotTo(gomega.BeEmpty())
		for _, f := range append(files, nil) {
			p := filepath.Join(env.info.RunDir, "admin.kubeconfig")
			if f != nil {
				p = filepath.Join(pki, f.Name())
			}
			st, err := os.Stat(p)
			gomega.Expect(err).NotTo(gomega.HaveOccurred())
			gomega.Expect(st.Mode().Perm()).To(gomega.Equal(fs.FileMode(0o600)), p)
		}
	})

	ginkgo.It("never writes the admin token into a log or report", func() {
		token := env.restConfig.BearerToken
		gomega.Expect(token).NotTo(gomega.BeEmpty())
		entries, err := os.ReadDir(env.info.ReportDir)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		checked := 0
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			b, err := os.ReadFile(filepath.Join(env.info.ReportDir, e.Name()))
			gomega.Expect(err).NotTo(gomega.HaveOccurred())
			gomega.Expect(strings.Contains(string(b), token)).To(gomega.BeFalse(), "the admin token appears in %s", e.Name())
			checked++
		}
		gomega.Expect(checked).To(gomega.BeNumerically(">=", 3), "services, kubelet and containerd logs")
	})
})
