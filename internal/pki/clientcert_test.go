package pki

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
)

func TestIssueNodeClientCert(t *testing.T) {
	b := mustGenerate(t, testConfig(t))
	cert, key := filepath.Join(b.Dir, "node-client.crt"), filepath.Join(b.Dir, "node-client.key")
	if err := IssueNodeClientCert(b, cert, key, time.Hour); err != nil {
		t.Fatal(err)
	}
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

func TestIssueNodeClientCertInvalid(t *testing.T) {
	b := mustGenerate(t, testConfig(t))
	cert, key := filepath.Join(b.Dir, "c.crt"), filepath.Join(b.Dir, "c.key")
	noName := *b
	noName.NodeName = ""
	badKey := *b
	badKey.CAKey = b.CACert
	for name, tc := range map[string]struct {
		b        *Bundle
		validity time.Duration
		want     string
	}{
		"no node name":  {&noName, time.Hour, "no node name"},
		"zero validity": {b, 0, "not positive"},
		"key not a key": {&badKey, time.Hour, "PRIVATE KEY"},
	} {
		t.Run(name, func(t *testing.T) {
			err := IssueNodeClientCert(tc.b, cert, key, tc.validity)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestClientCertKubeconfig(t *testing.T) {
	b := mustGenerate(t, testConfig(t))
	cert, key := filepath.Join(b.Dir, "n.crt"), filepath.Join(b.Dir, "n.key")
	if err := IssueNodeClientCert(b, cert, key, time.Hour); err != nil {
		t.Fatal(err)
	}
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
