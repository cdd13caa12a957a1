package pki

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
)

func TestGenerateNodeClientCert(t *testing.T) {
	b := mustGenerate(t, testConfig(t))
	cert, key := b.NodeClientCert, b.NodeClientKey
	c := mustReadCert(t, cert)
	if c.Subject.CommonName != "system:node:"+testNode {
		t.Errorf("CN = %q, want system:node:%s", c.Subject.CommonName, testNode)
	}
	if len(c.Subject.Organization) != 1 || c.Subject.Organization[0] != NodeGroup {
		t.Errorf("O = %q, want [%s]", c.Subject.Organization, NodeGroup)
	}
	if _, err := c.Verify(x509.VerifyOptions{Roots: mustCAPool(t, b), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("not a client certificate of the bundle's CA: %v", err)
	}
	for _, p := range []string{cert, key} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", p, st.Mode().Perm())
		}
	}
}

func TestClientCertKubeconfig(t *testing.T) {
	b := mustGenerate(t, testConfig(t))
	cert, key := b.NodeClientCert, b.NodeClientKey
	path := filepath.Join(t.TempDir(), "kubelet.kubeconfig")
	if err := WriteClientCertKubeconfig(path, "https://127.0.0.1:6443", b.CACert, cert, key, "system:node:"+testNode); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := clientcmd.NewDefaultClientConfig(*cfg, nil).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	certPEM, _ := os.ReadFile(cert)
	if rc.Host != "https://127.0.0.1:6443" || string(rc.CertData) != string(certPEM) || len(rc.KeyData) == 0 || rc.BearerToken != "" {
		t.Errorf("rest config: host %q, cert embedded %v, key embedded %v, token %q", rc.Host, string(rc.CertData) == string(certPEM), len(rc.KeyData) > 0, rc.BearerToken)
	}
	caPEM, _ := os.ReadFile(b.CACert)
	keyPEM, _ := os.ReadFile(key)
	for name, tc := range map[string]struct {
		server        string
		ca, cert, key []byte
		user, want    string
	}{
		"http server": {"http://x", caPEM, certPEM, keyPEM, "u", "https"},
		"no cert":     {"https://x", caPEM, nil, keyPEM, "u", "client certificate"},
		"no key":      {"https://x", caPEM, certPEM, nil, "u", "client key"},
		"no user":     {"https://x", caPEM, certPEM, keyPEM, "", "user"},
	} {
		if _, err := ClientCertKubeconfig(tc.server, tc.ca, tc.cert, tc.key, tc.user); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one containing %q", name, err, tc.want)
		}
	}
}
