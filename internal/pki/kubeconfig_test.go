package pki

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
)

func TestKubeconfig(t *testing.T) {
	b := mustGenerate(t, testConfig(t))
	caPEM, err := os.ReadFile(b.CACert)
	if err != nil {
		t.Fatal(err)
	}
	data, err := Kubeconfig("https://127.0.0.1:6443", caPEM, b.AdminToken, AdminUser)
	if err != nil {
		t.Fatalf("Kubeconfig: %v", err)
	}
	cfg, err := clientcmd.Load(data)
	if err != nil {
		t.Fatalf("clientcmd.Load: %v", err)
	}
	if err := clientcmd.Validate(*cfg); err != nil {
		t.Errorf("clientcmd.Validate: %v", err)
	}
	rest, err := clientcmd.NewDefaultClientConfig(*cfg, nil).ClientConfig()
	if err != nil {
		t.Fatalf("ClientConfig: %v", err)
	}
	if rest.Host != "https://127.0.0.1:6443" {
		t.Errorf("Host = %q", rest.Host)
	}
	if rest.BearerToken != b.AdminToken {
		t.Error("BearerToken is not the admin token")
	}
	if !bytes.Equal(rest.TLSClientConfig.CAData, caPEM) || rest.TLSClientConfig.CAFile != "" {
		t.Error("CA is not embedded as data")
	}
	if rest.TLSClientConfig.Insecure {
		t.Error("kubeconfig skips TLS verification")
	}
	if u := cfg.Contexts[cfg.CurrentContext].AuthInfo; u != AdminUser {
		t.Errorf("current context user %q, want %q", u, AdminUser)
	}

	again, err := Kubeconfig("https://127.0.0.1:6443", caPEM, b.AdminToken, AdminUser)
	if err != nil || !bytes.Equal(again, data) {
		t.Errorf("Kubeconfig is not deterministic (err %v)", err)
	}
}

func TestKubeconfigInvalid(t *testing.T) {
	b := mustGenerate(t, testConfig(t))
	caPEM, err := os.ReadFile(b.CACert)
	if err != nil {
		t.Fatal(err)
	}
	const tok = "secret-token-value"
	tests := []struct {
		name    string
		server  string
		ca      []byte
		token   string
		user    string
		wantErr string
	}{
		{"http server", "http://127.0.0.1:6443", caPEM, tok, "u", "not an https URL"},
		{"no host", "https://", caPEM, tok, "u", "not an https URL"},
		{"no scheme", "127.0.0.1:6443", caPEM, tok, "u", "server"},
		{"no ca", "https://127.0.0.1:6443", nil, tok, "u", "ca: no PEM certificate"},
		{"ca is a key", "https://127.0.0.1:6443", mustReadFile(t, b.CAKey), tok, "u", "ca: no PEM certificate"},
		{"no token", "https://127.0.0.1:6443", caPEM, "", "u", "token"},
		{"token with newline", "https://127.0.0.1:6443", caPEM, tok + "\n", "u", "token"},
		{"no user", "https://127.0.0.1:6443", caPEM, tok, "", "user is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Kubeconfig(tt.server, tt.ca, tt.token, tt.user)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Kubeconfig = %v, want error containing %q", err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "pki: kubeconfig: ") {
				t.Errorf("error %q does not name the component", err)
			}
			if strings.Contains(err.Error(), tok) {
				t.Errorf("error %q contains the token", err)
			}
		})
	}
}

func TestWriteKubeconfig(t *testing.T) {
	b := mustGenerate(t, testConfig(t))
	out := t.TempDir()
	path := filepath.Join(out, "kubelet.kubeconfig")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteKubeconfig(path, "https://localhost:6443", b.CACert, b.NodeToken, b.NodeUser()); err != nil {
		t.Fatalf("WriteKubeconfig: %v", err)
	}
	if got := mustMode(t, path); got != 0o600 {
		t.Errorf("mode %v, want 0600", got)
	}
	entries, err := os.ReadDir(out)
	if err != nil || len(entries) != 1 {
		t.Errorf("dir holds %d entries (err %v), want only the kubeconfig", len(entries), err)
	}
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatalf("LoadFromFile: %v", err)
	}
	auth := cfg.AuthInfos[b.NodeUser()]
	if auth == nil || auth.Token != b.NodeToken {
		t.Errorf("no user %s with the node token", b.NodeUser())
	}

	err = WriteKubeconfig(filepath.Join(out, "x"), "https://localhost:6443", filepath.Join(out, "nope.crt"), b.NodeToken, "u")
	if err == nil || !strings.Contains(err.Error(), "nope.crt") {
		t.Errorf("WriteKubeconfig with a missing CA = %v, want an error naming it", err)
	}
	err = WriteKubeconfig(filepath.Join(out, "no-such-dir", "x"), "https://localhost:6443", b.CACert, b.NodeToken, "u")
	if err == nil || strings.Contains(err.Error(), b.NodeToken) {
		t.Errorf("WriteKubeconfig into a missing dir = %v, want an error without the token", err)
	}
}

func mustReadFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
