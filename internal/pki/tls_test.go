package pki

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// TestKubeconfigReachesAPIServer serves HTTPS on loopback with the API
// server's pair and checks that a client built from a written kubeconfig,
// as kubectl builds it, trusts it and sends the token.
func TestKubeconfigReachesAPIServer(t *testing.T) {
	b := mustGenerate(t, testConfig(t))
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+b.AdminToken {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "ok")
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{mustKeyPair(t, b.APIServerCert, b.APIServerKey)}}
	srv.StartTLS()
	t.Cleanup(srv.Close)

	path := filepath.Join(t.TempDir(), "admin.kubeconfig")
	if err := WriteKubeconfig(path, srv.URL, b.CACert, b.AdminToken, AdminUser); err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir()) // the kubeconfig must not depend on the bundle's location
	if err := os.RemoveAll(b.Dir); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Get(srv.URL)
	if err != nil {
		t.Fatalf("GET over the kubeconfig: %v", err)
	}
	defer resp.Body.Close()
	if body, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK || string(body) != "ok" {
		t.Errorf("GET = %d %q, want 200 ok", resp.StatusCode, body)
	}
}

// TestAPIServerReachesKubelet checks the API server to kubelet hop: the
// kubelet serves with its pair and requires a client certificate from the
// CA (--client-ca-file); the API server presents its kubelet client pair.
func TestAPIServerReachesKubelet(t *testing.T) {
	b := mustGenerate(t, testConfig(t))
	roots := mustCAPool(t, b)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.TLS.PeerCertificates[0].Subject.CommonName)
	}))
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{mustKeyPair(t, b.KubeletCert, b.KubeletKey)},
		ClientCAs:    roots,
		ClientAuth:   tls.RequireAndVerifyClientCert,
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)

	tests := []struct {
		name    string
		certs   []tls.Certificate
		wantErr bool
	}{
		{"kubelet client pair", []tls.Certificate{mustKeyPair(t, b.APIServerKubeletClientCert, b.APIServerKubeletClientKey)}, false},
		{"serving pair is not a client", []tls.Certificate{mustKeyPair(t, b.APIServerCert, b.APIServerKey)}, true},
		{"no client certificate", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
				RootCAs:      roots,
				Certificates: tt.certs,
			}}}
			resp, err := client.Get(srv.URL) // https://127.0.0.1:port, a default kubelet SAN
			if (err != nil) != tt.wantErr {
				t.Fatalf("GET = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			defer resp.Body.Close()
			if cn, _ := io.ReadAll(resp.Body); string(cn) != "kube-apiserver-kubelet-client" {
				t.Errorf("kubelet saw client %q", cn)
			}
		})
	}
}

func mustKeyPair(t *testing.T, certFile, keyFile string) tls.Certificate {
	t.Helper()
	kp, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return kp
}
