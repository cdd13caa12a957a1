package pki

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
)

const testNode = "node-a"

// testConfig returns a valid Config whose Dir does not exist yet.
func testConfig(t *testing.T) Config {
	t.Helper()
	cfg := NewConfig()
	cfg.Dir = filepath.Join(t.TempDir(), "pki")
	cfg.NodeName = testNode
	return cfg
}

// mustGenerate runs Generate and fails the test on error.
func mustGenerate(t *testing.T, cfg Config) *Bundle {
	t.Helper()
	b, err := Generate(cfg)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return b
}

// mustReadCert reads the one certificate in the PEM file at path.
func mustReadCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := parseCertsPEM(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(certs) != 1 {
		t.Fatalf("%s: %d certificates, want 1", path, len(certs))
	}
	return certs[0]
}

// mustCAPool returns a pool holding the bundle's CA.
func mustCAPool(t *testing.T, b *Bundle) *x509.CertPool {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(mustReadCert(t, b.CACert))
	return pool
}
