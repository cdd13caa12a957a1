package pki

import (
	"crypto/x509"
	"fmt"
	"path/filepath"
	"time"

	"github.com/node-e2e/harness/internal/run"
)

// Generate validates cfg, makes a fresh CA, certificates, service-account
// key pair and tokens, and writes them into cfg.Dir (see Config.Dir), each
// file with mode 0600 and replaced atomically. The bundle's paths are
// absolute, so they stay valid for children started in another directory.
// It does not write kubeconfigs; see WriteKubeconfig.
func Generate(cfg Config) (*Bundle, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("pki: generate: resolve %s: %w", cfg.Dir, err)
	}
	created, err := ensureDir(dir)
	if err != nil {
		return nil, fmt.Errorf("pki: generate: %w", err)
	}
	b := newBundle(dir)
	b.CreatedDir = created
	b.NodeName = cfg.NodeName

	files, err := generateFiles(cfg, b)
	if err != nil {
		return nil, fmt.Errorf("pki: generate: %w", err)
	}
	for _, f := range files {
		if err := run.WriteFile(f.path, f.data, fileMode); err != nil {
			return nil, fmt.Errorf("pki: generate: %w", err)
		}
	}
	return b, nil
}

// EtcdSANs are the names in etcd's serving certificate: it listens on
// loopback only.
var EtcdSANs = []string{"127.0.0.1", "localhost"}

var (
	serverAuth = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	clientAuth = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
)

type fileData struct {
	path string
	data []byte
}

// generateFiles makes every credential in memory and fills b's tokens. It
// returns the file contents in the order of b.Files.
func generateFiles(cfg Config, b *Bundle) ([]fileData, error) {
	var err error
	b.AdminToken = cfg.AdminToken
	if b.AdminToken == "" {
		if b.AdminToken, err = newToken(); err != nil {
			return nil, fmt.Errorf("admin token: %w", err)
		}
	}
	if b.NodeToken, err = newToken(); err != nil {
		return nil, fmt.Errorf("node token: %w", err)
	}

	w := newWindow(time.Now(), cfg.Validity)
	ca, err := newCA(w)
	if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	apiIPs, apiNames := splitSANs(cfg.APIServerSANs...)
	etcdIPs, etcdNames := splitSANs(EtcdSANs...)
	kubeletIPs, kubeletNames := splitSANs(append(append([]string{}, cfg.KubeletSANs...), cfg.NodeName)...)
	leaves := []struct {
		certPath, keyPath string
		spec              leafSpec
	}{
		{b.APIServerCert, b.APIServerKey, leafSpec{
			commonName: "kube-apiserver", usages: serverAuth,
			ips: apiIPs, dnsNames: apiNames,
		}},
		{b.APIServerKubeletClientCert, b.APIServerKubeletClientKey, leafSpec{
			commonName: "kube-apiserver-kubelet-client", orgs: []string{AdminGroup},
			usages: clientAuth,
		}},
		{b.APIServerEtcdClientCert, b.APIServerEtcdClientKey, leafSpec{
			commonName: "kube-apiserver-etcd-client", usages: clientAuth,
		}},
		{b.EtcdCert, b.EtcdKey, leafSpec{
			// Client auth too: etcd's gRPC gateway and peer transport
			// present this certificate to etcd itself.
			commonName: "etcd", usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
			ips: etcdIPs, dnsNames: etcdNames,
		}},
		{b.KubeletCert, b.KubeletKey, leafSpec{
			commonName: cfg.NodeName, usages: serverAuth,
			ips: kubeletIPs, dnsNames: kubeletNames,
		}},
		{b.NodeClientCert, b.NodeClientKey, leafSpec{
			commonName: NodeUser(cfg.NodeName), orgs: []string{NodeGroup}, usages: clientAuth,
		}},
	}
	caKey, err := keyPEM(ca.key)
	if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	out := []fileData{{b.CACert, certPEM(ca.cert)}, {b.CAKey, caKey}}
	for _, l := range leaves {
		kp, err := newLeaf(ca, w, l.spec)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", l.certPath, err)
		}
		key, err := keyPEM(kp.key)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", l.keyPath, err)
		}
		out = append(out, fileData{l.certPath, certPEM(kp.cert)}, fileData{l.keyPath, key})
	}

	saKey, err := newKey()
	if err != nil {
		return nil, fmt.Errorf("service-account key: %w", err)
	}
	saPriv, err := keyPEM(saKey)
	if err != nil {
		return nil, fmt.Errorf("service-account key: %w", err)
	}
	saPub, err := publicKeyPEM(saKey.Public())
	if err != nil {
		return nil, fmt.Errorf("service-account key: %w", err)
	}
	tokens := encodeTokenFile([]tokenEntry{
		{token: b.AdminToken, user: AdminUser, uid: AdminUser, groups: []string{AdminGroup}},
		{token: b.NodeToken, user: NodeUser(cfg.NodeName), uid: NodeUser(cfg.NodeName), groups: []string{NodeGroup}},
	})
	out = append(out,
		fileData{b.ServiceAccountKey, saPriv},
		fileData{b.ServiceAccountPub, saPub},
		fileData{b.TokenFile, tokens},
	)
	return out, nil
}
