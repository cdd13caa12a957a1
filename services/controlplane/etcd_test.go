package controlplane

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/node-e2e/harness/internal/pki"
	"github.com/node-e2e/harness/internal/run"
)

func TestEtcdConfigValidate(t *testing.T) {
	if err := (EtcdConfig{DataDir: "d", CAFile: "ca", CertFile: "c", KeyFile: "k"}).Validate(); err != nil {
		t.Errorf("complete config: %v", err)
	}
	err := EtcdConfig{DataDir: "d"}.Validate()
	for _, want := range []string{"no CA file", "no certificate file", "no key file"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to say %q", err, want)
		}
	}
	if err := NewEtcd(EtcdConfig{DataDir: t.TempDir()}).Start(); err == nil || !strings.Contains(err.Error(), "no CA file") {
		t.Errorf("Start without TLS files = %v, want a refusal naming the CA file", err)
	}
}

// mustBundle generates a run's credentials under a test directory.
func mustBundle(t *testing.T) *pki.Bundle {
	t.Helper()
	cfg := pki.NewConfig()
	cfg.Dir = filepath.Join(t.TempDir(), "pki")
	cfg.NodeName = "node-a"
	b, err := pki.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tlsConfig trusts bundle's CA and presents certFile/keyFile when given.
func tlsConfig(t *testing.T, b *pki.Bundle, certFile, keyFile string) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(b.CACert)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c := &tls.Config{RootCAs: pool}
	if certFile != "" {
		kp, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			t.Fatal(err)
		}
		c.Certificates = []tls.Certificate{kp}
	}
	return c
}

// httpPut writes key=value the way etcd's HTTP/JSON gateway takes it, at
// base (the harness's etcd has no gateway: the request must fail either
// way, and it does before any HTTP is spoken).
func httpPut(ctx context.Context, tc *tls.Config, base, key, value string) error {
	body := fmt.Sprintf(`{"key":%q,"value":%q}`,
		base64.StdEncoding.EncodeToString([]byte(key)), base64.StdEncoding.EncodeToString([]byte(value)))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v3/kv/put", bytes.NewBufferString(body))
	if err != nil {
		return err
	}
	c := http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: tc}}
	defer c.CloseIdleConnections()
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s", resp.Status)
	}
	return nil
}

// grpcPut writes key=value with etcd's Go client over gRPC.
func grpcPut(ctx context.Context, tc *tls.Config, endpoint, key, value string) error {
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, TLS: tc, DialTimeout: 2 * time.Second})
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	_, err = c.Put(ctx, key, value)
	return err
}

// TestIntegrationEtcdRefusesClientsWithoutTheRunsCertificate performs the
// attack of a local user on the run's etcd: writing a pod for the node (or
// reading Secrets) past the API server's authentication and authorization.
// Without a client certificate from the run's CA, over plain HTTP or TLS,
// over HTTP or gRPC, on the client or the peer port, etcd refuses; with the
// API server's etcd client certificate it serves.
func TestIntegrationEtcdRefusesClientsWithoutTheRunsCertificate(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real etcd on loopback ports")
	}
	b := mustBundle(t)
	other := mustBundle(t) // another run's CA and certificates
	e := NewEtcd(EtcdConfig{DataDir: t.TempDir(), CAFile: b.CACert, CertFile: b.EtcdCert, KeyFile: b.EtcdKey})
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop() })
	if !strings.HasPrefix(e.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL() = %q, want https on 127.0.0.1", e.URL())
	}
	hostPort := strings.TrimPrefix(e.URL(), "https://")
	const evil = "/registry/pods/default/planted"
	ctx := t.Context()

	attacks := []struct {
		name string
		put  func() error
	}{
		{"plain HTTP", func() error { return httpPut(ctx, nil, "http://"+hostPort, evil, "x") }},
		{"TLS without a client certificate", func() error {
			return httpPut(ctx, tlsConfig(t, b, "", ""), e.URL(), evil, "x")
		}},
		{"TLS with another run's etcd client certificate", func() error {
			tc := tlsConfig(t, b, other.APIServerEtcdClientCert, other.APIServerEtcdClientKey)
			return httpPut(ctx, tc, e.URL(), evil, "x")
		}},
		{"TLS with the run's kubelet serving certificate (no client usage)", func() error {
			return httpPut(ctx, tlsConfig(t, b, b.KubeletCert, b.KubeletKey), e.URL(), evil, "x")
		}},
		{"plain gRPC", func() error { return grpcPut(ctx, nil, hostPort, evil, "x") }},
		{"gRPC over TLS without a client certificate", func() error {
			return grpcPut(ctx, tlsConfig(t, b, "", ""), hostPort, evil, "x")
		}},
		{"gRPC over TLS with another run's etcd client certificate", func() error {
			tc := tlsConfig(t, b, other.APIServerEtcdClientCert, other.APIServerEtcdClientKey)
			return grpcPut(ctx, tc, hostPort, evil, "x")
		}},
		{"plain HTTP to the peer port", func() error {
			return httpPut(ctx, nil, "http://"+e.peerAddr(), evil, "x")
		}},
		{"TLS without a client certificate to the peer port", func() error {
			return httpPut(ctx, tlsConfig(t, b, "", ""), "https://"+e.peerAddr(), evil, "x")
		}},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			err := a.put()
			if err == nil {
				t.Fatal("etcd accepted the write")
			}
			t.Logf("refused: %v", err)
		})
	}

	// The API server's client pair works, and shows that none of the
	// attacks wrote anything.
	good := tlsConfig(t, b, b.APIServerEtcdClientCert, b.APIServerEtcdClientKey)
	if err := grpcPut(ctx, good, hostPort, "/registry/ok", "1"); err != nil {
		t.Fatalf("gRPC put with the run's client certificate: %v", err)
	}
	hc := http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: good}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Get(e.URL() + "/health")
	if err != nil {
		t.Fatalf("GET /health with the run's client certificate: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /health with the run's client certificate: %s", resp.Status)
	}
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{hostPort}, TLS: good, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	kvs, err := c.Get(ctx, "/registry/", clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		t.Fatalf("get with the run's client certificate: %v", err)
	}
	var keys []string
	for _, kv := range kvs.Kvs {
		keys = append(keys, string(kv.Key))
	}
	if strings.Join(keys, " ") != "/registry/ok" {
		t.Errorf("etcd holds %q, want only the authorized write", keys)
	}
}

// TestIntegrationEtcdSocketServesRootOnly: with SocketPath, etcd also
// serves on a unix socket without TLS (what the API server uses); the
// socket lives in a 0700 directory of root's, so another user cannot even
// connect to it, while the TCP port still requires the run's client
// certificate.
func TestIntegrationEtcdSocketServesRootOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real etcd")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: the socket's protection is its directory's owner")
	}
	b := mustBundle(t)
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "etcd.sock")
	e := NewEtcd(EtcdConfig{DataDir: filepath.Join(dir, "etcd"), CAFile: b.CACert, CertFile: b.EtcdCert, KeyFile: b.EtcdKey, SocketPath: sock})
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop() })
	if want := "unix://" + sock; e.SocketURL() != want {
		t.Fatalf("SocketURL() = %q, want %q", e.SocketURL(), want)
	}
	if !strings.HasPrefix(e.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL() = %q, want the TLS port on 127.0.0.1", e.URL())
	}
	ctx := t.Context()
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{e.SocketURL()}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Put(ctx, "/registry/ok", "1"); err != nil {
		t.Fatalf("put over the socket as root: %v", err)
	}
	if err := grpcPut(ctx, nil, strings.TrimPrefix(e.URL(), "https://"), "/registry/planted", "x"); err == nil {
		t.Error("the TCP port accepted plain gRPC")
	}

	setpriv, errS := exec.LookPath("setpriv")
	python, errP := exec.LookPath("/usr/bin/python3")
	if errS != nil || errP != nil {
		t.Skipf("no setpriv or /usr/bin/python3 to connect as another user (%v, %v)", errS, errP)
	}
	out, err := exec.CommandContext(ctx, setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", python, "-c",
		"import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); print('connected')", sock).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "Permission denied") {
		t.Errorf("user nobody connecting to the socket: err %v, output %s; want Permission denied", err, out)
	}
}

func TestEtcdSocketPath(t *testing.T) {
	if got, want := etcdSocketPath(run.Layout{Dir: "/tmp/node-e2e/r1"}), "/tmp/node-e2e/r1/etcd.sock"; got != want {
		t.Errorf("etcdSocketPath = %q, want %q", got, want)
	}
	long := "/" + strings.Repeat("d", maxSocketPath)
	if got := etcdSocketPath(run.Layout{Dir: long}); got != "" {
		t.Errorf("etcdSocketPath(%d-byte dir) = %q, want none (too long for a socket)", len(long), got)
	}
}
