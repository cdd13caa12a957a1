package pki

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestGenerateCertificates(t *testing.T) {
	cfg := testConfig(t)
	cfg.APIServerSANs = []string{"127.0.0.1", "localhost", "::1", "api.example"}
	cfg.KubeletSANs = []string{"127.0.0.2", "node-a.local"}
	b := mustGenerate(t, cfg)
	roots := mustCAPool(t, b)

	ca := mustReadCert(t, b.CACert)
	if !ca.IsCA || ca.Subject.CommonName != "node-e2e-ca" {
		t.Errorf("CA: IsCA=%v CN=%q, want a CA named node-e2e-ca", ca.IsCA, ca.Subject.CommonName)
	}
	if err := ca.CheckSignatureFrom(ca); err != nil {
		t.Errorf("CA is not self-signed: %v", err)
	}

	tests := []struct {
		name     string
		cert     string
		cn       string
		orgs     []string
		usages   []x509.ExtKeyUsage // must verify for each
		notUsage x509.ExtKeyUsage   // must not verify
		hosts    []string           // names the cert must be valid for
		notHosts []string
	}{
		{
			name: "api server serving", cert: b.APIServerCert, cn: "kube-apiserver",
			usages: serverAuth, notUsage: x509.ExtKeyUsageClientAuth,
			hosts:    []string{"127.0.0.1", "localhost", "::1", "api.example"},
			notHosts: []string{"127.0.0.2", testNode},
		},
		{
			name: "api server kubelet client", cert: b.APIServerKubeletClientCert,
			cn: "kube-apiserver-kubelet-client", orgs: []string{"system:masters"},
			usages: clientAuth, notUsage: x509.ExtKeyUsageServerAuth,
			notHosts: []string{"127.0.0.1", "localhost"},
		},
		{
			name: "api server etcd client", cert: b.APIServerEtcdClientCert,
			cn:     "kube-apiserver-etcd-client",
			usages: clientAuth, notUsage: x509.ExtKeyUsageServerAuth,
			notHosts: []string{"127.0.0.1", "localhost"},
		},
		{
			// Server and client: etcd's gateway and peer transport
			// present it to etcd itself.
			name: "etcd serving", cert: b.EtcdCert, cn: "etcd",
			usages:   []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
			notUsage: x509.ExtKeyUsageCodeSigning,
			hosts:    []string{"127.0.0.1", "localhost"},
			notHosts: []string{"::1", "api.example", testNode},
		},
		{
			name: "kubelet serving", cert: b.KubeletCert, cn: testNode,
			usages: serverAuth, notUsage: x509.ExtKeyUsageClientAuth,
			hosts:    []string{"127.0.0.2", "node-a.local", testNode},
			notHosts: []string{"127.0.0.1", "api.example"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustReadCert(t, tt.cert)
			if c.Subject.CommonName != tt.cn || !slices.Equal(c.Subject.Organization, tt.orgs) {
				t.Errorf("subject CN=%q O=%q, want CN=%q O=%q", c.Subject.CommonName, c.Subject.Organization, tt.cn, tt.orgs)
			}
			if c.IsCA {
				t.Error("leaf is a CA")
			}
			for _, u := range tt.usages {
				if _, err := c.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{u}}); err != nil {
					t.Errorf("does not verify for usage %v: %v", u, err)
				}
			}
			if _, err := c.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{tt.notUsage}}); err == nil {
				t.Errorf("verifies for usage %v too", tt.notUsage)
			}
			for _, h := range tt.hosts {
				if err := c.VerifyHostname(h); err != nil {
					t.Errorf("not valid for %s: %v", h, err)
				}
			}
			for _, h := range tt.notHosts {
				if err := c.VerifyHostname(h); err == nil {
					t.Errorf("valid for %s, which is not a SAN", h)
				}
			}
			if got := c.NotAfter.Sub(c.NotBefore); got < cfg.Validity || got > cfg.Validity+time.Hour {
				t.Errorf("validity %v, want about %v", got, cfg.Validity)
			}
			if now := time.Now(); now.Before(c.NotBefore) || now.After(c.NotAfter) {
				t.Errorf("not valid now: %v..%v", c.NotBefore, c.NotAfter)
			}
			// Verify checks the signature chain; a key pair that does not
			// load would still break the server at start.
			certFile := tt.cert
			keyFile := strings.TrimSuffix(certFile, ".crt") + ".key"
			if _, err := tls.LoadX509KeyPair(certFile, keyFile); err != nil {
				t.Errorf("key pair does not load: %v", err)
			}
		})
	}
}

func TestGenerateValidity(t *testing.T) {
	cfg := testConfig(t)
	cfg.Validity = 2 * time.Hour
	b := mustGenerate(t, cfg)
	for _, path := range []string{b.CACert, b.APIServerCert, b.KubeletCert} {
		c := mustReadCert(t, path)
		if until := time.Until(c.NotAfter); until > 2*time.Hour || until < 2*time.Hour-time.Minute {
			t.Errorf("%s expires in %v, want about 2h", filepath.Base(path), until)
		}
	}
}

func TestGenerateServiceAccountKeyPair(t *testing.T) {
	b := mustGenerate(t, testConfig(t))
	priv := mustReadPEM(t, b.ServiceAccountKey, "PRIVATE KEY")
	pub := mustReadPEM(t, b.ServiceAccountPub, "PUBLIC KEY")
	k, err := x509.ParsePKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	p, err := x509.ParsePKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		t.Fatalf("sa.key holds %T, want ECDSA", k)
	}
	digest := sha256.Sum256([]byte("claims"))
	sig, err := ecdsa.SignASN1(rand.Reader, ek, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	ep, ok := p.(*ecdsa.PublicKey)
	if !ok || !ecdsa.VerifyASN1(ep, digest[:], sig) {
		t.Error("sa.pub does not verify a signature made with sa.key")
	}
}

func mustReadPEM(t *testing.T, path, typ string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != typ {
		t.Fatalf("%s: no %s PEM block", path, typ)
	}
	return block.Bytes
}

func TestGenerateFileModes(t *testing.T) {
	tests := []struct {
		name        string
		prepare     func(t *testing.T, dir string) // nil: dir does not exist
		wantCreated bool
	}{
		{"new dir", nil, true},
		{"existing private dir", func(t *testing.T, dir string) { mustMkdir(t, dir, 0o700) }, false},
		{"existing open dir is restricted", func(t *testing.T, dir string) { mustMkdir(t, dir, 0o755) }, false},
		{"existing world-writable dir is restricted", func(t *testing.T, dir string) { mustMkdir(t, dir, 0o777) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t)
			if tt.prepare != nil {
				tt.prepare(t, cfg.Dir)
			}
			b := mustGenerate(t, cfg)
			if got := mustMode(t, cfg.Dir); got != 0o700 {
				t.Errorf("dir mode %v, want 0700", got)
			}
			if (b.CreatedDir != "") != tt.wantCreated {
				t.Errorf("CreatedDir = %q, want created=%v", b.CreatedDir, tt.wantCreated)
			}
			for _, f := range b.Files() {
				if !filepath.IsAbs(f) {
					t.Errorf("%s is not absolute", f)
				}
				if got := mustMode(t, f); got != 0o600 {
					t.Errorf("%s mode %v, want 0600", filepath.Base(f), got)
				}
			}
			entries, err := os.ReadDir(cfg.Dir)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, filepath.Join(b.Dir, e.Name()))
			}
			want := b.Files()
			slices.Sort(want)
			if !slices.Equal(names, want) {
				t.Errorf("dir holds %q, want exactly %q (no temporary files)", names, want)
			}
		})
	}
}

func TestGenerateCreatedDir(t *testing.T) {
	root := t.TempDir()
	cfg := testConfig(t)
	cfg.Dir = filepath.Join(root, "report", "run-1", "pki")
	b := mustGenerate(t, cfg)
	if want := filepath.Join(root, "report"); b.CreatedDir != want {
		t.Errorf("CreatedDir = %q, want the topmost new directory %q", b.CreatedDir, want)
	}
	for _, d := range []string{filepath.Join(root, "report"), filepath.Join(root, "report", "run-1")} {
		if got := mustMode(t, d); got != 0o700 {
			t.Errorf("%s mode %v, want 0700", d, got)
		}
	}
}

func TestGenerateRelativeDir(t *testing.T) {
	t.Chdir(t.TempDir())
	cfg := testConfig(t)
	cfg.Dir = "rel/pki"
	b := mustGenerate(t, cfg)
	if !filepath.IsAbs(b.Dir) || !filepath.IsAbs(b.CACert) {
		t.Errorf("bundle paths are relative: %q", b.CACert)
	}
}

func mustMkdir(t *testing.T, dir string, mode fs.FileMode) {
	t.Helper()
	if err := os.Mkdir(dir, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil { // undo the umask
		t.Fatal(err)
	}
}

func mustMode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

func TestGenerateTokens(t *testing.T) {
	cfg := testConfig(t)
	b1 := mustGenerate(t, cfg)
	data, err := os.ReadFile(b1.TokenFile)
	if err != nil {
		t.Fatal(err)
	}
	want := b1.AdminToken + ",node-e2e-admin,node-e2e-admin,\"system:masters\"\n" +
		b1.NodeToken + ",system:node:node-a,system:node:node-a,\"system:nodes\"\n"
	if string(data) != want {
		t.Errorf("tokens.csv =\n%s\nwant\n%s", data, want)
	}
	if b1.AdminToken == b1.NodeToken {
		t.Error("admin and node tokens are equal")
	}

	cfg2 := testConfig(t)
	b2 := mustGenerate(t, cfg2)
	if b1.AdminToken == b2.AdminToken || b1.NodeToken == b2.NodeToken {
		t.Error("two Generate calls gave the same token")
	}
	if mustReadCert(t, b1.CACert).Equal(mustReadCert(t, b2.CACert)) {
		t.Error("two Generate calls gave the same CA")
	}
}

func TestGenerateKeepsAdminToken(t *testing.T) {
	cfg := testConfig(t)
	cfg.AdminToken = "given-admin-token"
	b := mustGenerate(t, cfg)
	if b.AdminToken != cfg.AdminToken {
		t.Errorf("AdminToken = %q, want the given one", b.AdminToken)
	}
	if b.NodeToken == "" || b.NodeToken == cfg.AdminToken {
		t.Error("node token is empty or the admin token")
	}
	loaded, err := Load(b.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.AdminToken != cfg.AdminToken {
		t.Error("tokens.csv does not hold the given admin token")
	}
}

func TestGenerateInvalidConfigWritesNothing(t *testing.T) {
	cfg := testConfig(t)
	cfg.Validity = 0
	if _, err := Generate(cfg); err == nil {
		t.Fatal("Generate with zero validity succeeded")
	}
	if _, err := os.Stat(cfg.Dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("dir was created for an invalid config: %v", err)
	}
}

func TestGenerateDirIsAFile(t *testing.T) {
	cfg := testConfig(t)
	if err := os.WriteFile(cfg.Dir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Generate(cfg)
	if err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("Generate into a file = %v, want a not-a-directory error", err)
	}
}
