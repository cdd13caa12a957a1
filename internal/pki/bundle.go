package pki

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// File names inside a bundle directory.
const (
	caCertFile              = "ca.crt"
	caKeyFile               = "ca.key"
	apiServerCertFile       = "apiserver.crt"
	apiServerKeyFile        = "apiserver.key"
	apiServerKubeletCrtFile = "apiserver-kubelet-client.crt"
	apiServerKubeletKeyFile = "apiserver-kubelet-client.key"
	apiServerEtcdCrtFile    = "apiserver-etcd-client.crt"
	apiServerEtcdKeyFile    = "apiserver-etcd-client.key"
	etcdCertFile            = "etcd.crt"
	etcdKeyFile             = "etcd.key"
	kubeletCertFile         = "kubelet.crt"
	kubeletKeyFile          = "kubelet.key"
	nodeClientCertFile      = "node-client.crt"
	nodeClientKeyFile       = "node-client.key"
	saKeyFile               = "sa.key"
	saPubFile               = "sa.pub"
	tokenFile               = "tokens.csv"
)

// Bundle is a generated set of credentials: the paths of its files and the
// two bearer tokens. String, GoString and MarshalLog redact the tokens.
type Bundle struct {
	// Dir holds every file below.
	Dir string
	// CreatedDir is the topmost directory Generate created to make Dir,
	// or "" if Dir already existed or the bundle was loaded. The owner of
	// the run removes it at teardown.
	CreatedDir string

	// CACert is the CA certificate (kube-apiserver --client-ca-file,
	// kubelet --client-ca-file, kubeconfig certificate-authority).
	CACert string
	// CAKey is the CA private key.
	CAKey string
	// APIServerCert and APIServerKey are the API server's serving pair
	// (--tls-cert-file, --tls-private-key-file).
	APIServerCert, APIServerKey string
	// APIServerKubeletClientCert and APIServerKubeletClientKey are the
	// client pair the API server presents to the kubelet
	// (--kubelet-client-certificate, --kubelet-client-key).
	APIServerKubeletClientCert, APIServerKubeletClientKey string
	// APIServerEtcdClientCert and APIServerEtcdClientKey are the client
	// pair the API server presents to etcd (--etcd-certfile,
	// --etcd-keyfile).
	APIServerEtcdClientCert, APIServerEtcdClientKey string
	// EtcdCert and EtcdKey are etcd's serving pair for its client and
	// peer listeners, which require client certificates signed by the CA
	// (etcd --cert-file, --key-file, --peer-cert-file, --peer-key-file).
	EtcdCert, EtcdKey string
	// KubeletCert and KubeletKey are the kubelet's serving pair
	// (--tls-cert-file, --tls-private-key-file).
	KubeletCert, KubeletKey string
	// NodeClientCert and NodeClientKey are a client pair for the kubelet:
	// NodeUser(NodeName) in NodeGroup, for a kubelet that authenticates
	// with a certificate (standalone services mode) rather than NodeToken.
	NodeClientCert, NodeClientKey string
	// ServiceAccountKey is the service-account signing key
	// (--service-account-signing-key-file); ServiceAccountPub is its
	// public half (--service-account-key-file).
	ServiceAccountKey, ServiceAccountPub string
	// TokenFile is the static token file (--token-auth-file).
	TokenFile string

	// NodeName is the node the kubelet credentials are for.
	NodeName string
	// AdminToken authenticates AdminUser, in group system:masters.
	AdminToken string
	// NodeToken authenticates NodeUser(NodeName), in group system:nodes.
	NodeToken string
}

func newBundle(dir string) *Bundle {
	j := func(name string) string { return filepath.Join(dir, name) }
	return &Bundle{
		Dir:                        dir,
		CACert:                     j(caCertFile),
		CAKey:                      j(caKeyFile),
		APIServerCert:              j(apiServerCertFile),
		APIServerKey:               j(apiServerKeyFile),
		APIServerKubeletClientCert: j(apiServerKubeletCrtFile),
		APIServerKubeletClientKey:  j(apiServerKubeletKeyFile),
		APIServerEtcdClientCert:    j(apiServerEtcdCrtFile),
		APIServerEtcdClientKey:     j(apiServerEtcdKeyFile),
		EtcdCert:                   j(etcdCertFile),
		EtcdKey:                    j(etcdKeyFile),
		KubeletCert:                j(kubeletCertFile),
		KubeletKey:                 j(kubeletKeyFile),
		NodeClientCert:             j(nodeClientCertFile),
		NodeClientKey:              j(nodeClientKeyFile),
		ServiceAccountKey:          j(saKeyFile),
		ServiceAccountPub:          j(saPubFile),
		TokenFile:                  j(tokenFile),
	}
}

// Files returns the path of every file in the bundle, in a fixed order.
func (b *Bundle) Files() []string {
	return []string{
		b.CACert, b.CAKey,
		b.APIServerCert, b.APIServerKey,
		b.APIServerKubeletClientCert, b.APIServerKubeletClientKey,
		b.APIServerEtcdClientCert, b.APIServerEtcdClientKey,
		b.EtcdCert, b.EtcdKey,
		b.KubeletCert, b.KubeletKey,
		b.NodeClientCert, b.NodeClientKey,
		b.ServiceAccountKey, b.ServiceAccountPub,
		b.TokenFile,
	}
}

// NodeUser is the user name the node token authenticates as.
func (b *Bundle) NodeUser() string { return NodeUser(b.NodeName) }

// String describes the bundle with both tokens redacted. It has a value
// receiver so that printing a Bundle value is redacted too.
func (b Bundle) String() string {
	return fmt.Sprintf("pki.Bundle{Dir:%q NodeName:%q AdminToken:%s NodeToken:%s}",
		b.Dir, b.NodeName, redact(b.AdminToken), redact(b.NodeToken))
}

// GoString is String, so that %#v does not print the tokens either.
func (b Bundle) GoString() string { return b.String() }

// MarshalLog is String, so that structured loggers (logr.Marshaler) do not
// print the tokens either.
func (b Bundle) MarshalLog() any { return b.String() }

// Load reads back a bundle that Generate wrote into dir, as a re-executed
// child process does. It fails naming the first missing file, and checks
// that the CA certificate and the token file parse. Paths are made
// absolute.
func Load(dir string) (*Bundle, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("pki: load %s: %w", dir, err)
	}
	b := newBundle(abs)
	for _, path := range b.Files() {
		st, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("pki: load %s: missing %s: %w", dir, filepath.Base(path), err)
		}
		if err != nil {
			return nil, fmt.Errorf("pki: load %s: %w", dir, err)
		}
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("pki: load %s: %s is not a regular file", dir, filepath.Base(path))
		}
	}
	caData, err := os.ReadFile(b.CACert)
	if err != nil {
		return nil, fmt.Errorf("pki: load %s: %w", dir, err)
	}
	if _, err := parseCertsPEM(caData); err != nil {
		return nil, fmt.Errorf("pki: load %s: %s: %w", dir, caCertFile, err)
	}
	tokData, err := os.ReadFile(b.TokenFile)
	if err != nil {
		return nil, fmt.Errorf("pki: load %s: %w", dir, err)
	}
	entries, err := parseTokenFile(tokData)
	if err != nil {
		return nil, fmt.Errorf("pki: load %s: %s: %w", dir, tokenFile, err)
	}
	admin, node, err := findTokens(entries)
	if err != nil {
		return nil, fmt.Errorf("pki: load %s: %s: %w", dir, tokenFile, err)
	}
	b.AdminToken = admin.token
	b.NodeToken = node.token
	b.NodeName = strings.TrimPrefix(node.user, nodeUserPrefix)
	return b, nil
}
