package e2e_node

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"

	"github.com/node-e2e/harness/images"
	"github.com/node-e2e/harness/internal/pki"
	"github.com/node-e2e/harness/internal/run"
)

// These specs attack the live node as another local user could: write to
// etcd past the API server, or replace an image the specs run.
var _ = ginkgo.Describe("Harness security", ginkgo.Label("Harness"), func() {
	ginkgo.BeforeEach(needHarnessNode)
	// do sends a request with a short timeout and returns its status, or
	// the error that refused it.
	do := func(ctx context.Context, tc *tls.Config, method, url string, body []byte) (int, error) {
		req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
		if err != nil {
			return 0, err
		}
		c := http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: tc}}
		defer c.CloseIdleConnections()
		resp, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}

	ginkgo.It("references every suite image by digest, and its registry refuses anonymous pushes", func(ctx context.Context) {
		if env.info.Registry == nil {
			ginkgo.Skip("no image registry is known for this node")
		}
		for _, name := range images.Names() {
			gomega.Expect(images.Pinned(suiteImage(name))).To(gomega.BeTrue(), "suite image %s is referenced as %q, want <repo>@sha256:<digest>", name, suiteImage(name))
		}
		for _, c := range append(busyboxPod("x").Spec.Containers, testImageContainer("t")) {
			gomega.Expect(images.Pinned(c.Image)).To(gomega.BeTrue(), "a spec's container image %q is not a digest reference", c.Image)
		}

		base := "http://" + env.info.Registry.Host + "/v2/"
		ref := suiteImage(images.BusyboxName)
		digest := ref[strings.LastIndex(ref, "@")+1:]
		code, err := do(ctx, nil, http.MethodGet, base+"busybox/manifests/"+digest, nil)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		gomega.Expect(code).To(gomega.Equal(http.StatusOK), "anonymous pull of %s", ref)
		for _, attack := range []struct{ method, path string }{
			{http.MethodPost, "busybox/blobs/uploads/"},
			{http.MethodPut, "busybox/manifests/1.0"},
			{http.MethodPut, "pull/testimage/manifests/1.0"},
			{http.MethodDelete, "busybox/manifests/" + digest},
		} {
			code, err := do(ctx, nil, attack.method, base+attack.path, []byte(`{"schemaVersion":2}`))
			gomega.Expect(err).NotTo(gomega.HaveOccurred())
			gomega.Expect(code).To(gomega.Equal(http.StatusUnauthorized), "anonymous %s %s", attack.method, attack.path)
		}
	})

	ginkgo.It("serves etcd only to clients holding a certificate from the run's CA", func(ctx context.Context) {
		if env.info.RunDir == "" {
			ginkgo.Skip("the run directory is unknown: the node was not started by this harness")
		}
		layout := run.Layout{Dir: env.info.RunDir}
		var st run.ServicesState
		gomega.Expect(run.ReadJSON(layout.ServicesState(), &st)).To(gomega.Succeed())
		gomega.Expect(st.EtcdURL).To(gomega.HavePrefix("https://127.0.0.1:"), "etcd's client URL in %s", layout.ServicesState())
		b, err := pki.Load(layout.PKIDir())
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		caPEM, err := os.ReadFile(b.CACert)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		roots := x509.NewCertPool()
		gomega.Expect(roots.AppendCertsFromPEM(caPEM)).To(gomega.BeTrue())
		put := []byte(`{"key":"L3JlZ2lzdHJ5L3BvZHMvZGVmYXVsdC9wbGFudGVk","value":"eA=="}`) // /registry/pods/default/planted

		_, err = do(ctx, &tls.Config{RootCAs: roots}, http.MethodPost, st.EtcdURL+"/v3/kv/put", put)
		gomega.Expect(err).To(gomega.HaveOccurred(), "etcd took a write over TLS without a client certificate")
		code, err := do(ctx, nil, http.MethodPost, "http://"+strings.TrimPrefix(st.EtcdURL, "https://")+"/v3/kv/put", put)
		gomega.Expect(err != nil || code != http.StatusOK).To(gomega.BeTrue(), "etcd took a write over plain HTTP (status %d)", code)

		kp, err := tls.LoadX509KeyPair(b.APIServerEtcdClientCert, b.APIServerEtcdClientKey)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		code, err = do(ctx, &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{kp}}, http.MethodGet, st.EtcdURL+"/health", nil)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		gomega.Expect(code).To(gomega.Equal(http.StatusOK), "etcd /health with the API server's etcd client certificate")
	})
})
