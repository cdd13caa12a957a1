package pki

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// IssueNodeClientCert signs, with the bundle's CA, a client certificate
// for the kubelet of b.NodeName: common name system:node:<name>, group
// (organization) system:nodes, so the API server's Node authorizer and
// NodeRestriction admission treat it as that node. It writes the pair to
// certPath and keyPath (mode 0600, atomically), valid for validity.
func IssueNodeClientCert(b *Bundle, certPath, keyPath string, validity time.Duration) error {
	if err := issueNodeClientCert(b, certPath, keyPath, validity); err != nil {
		return fmt.Errorf("pki: node client certificate: %w", err)
	}
	return nil
}

func issueNodeClientCert(b *Bundle, certPath, keyPath string, validity time.Duration) error {
	if b.NodeName == "" {
		return errors.New("bundle has no node name")
	}
	if validity <= 0 {
		return fmt.Errorf("validity %v is not positive", validity)
	}
	ca, err := loadCA(b.CACert, b.CAKey)
	if err != nil {
		return err
	}
	kp, err := newLeaf(ca, newWindow(time.Now(), validity), leafSpec{
		commonName: NodeUser(b.NodeName), orgs: []string{NodeGroup}, usages: clientAuth,
	})
	if err != nil {
		return err
	}
	key, err := keyPEM(kp.key)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(certPath, certPEM(kp.cert)); err != nil {
		return err
	}
	return writeFileAtomic(keyPath, key)
}

// loadCA reads the CA certificate and its PKCS #8 key.
func loadCA(certFile, keyFile string) (keyPair, error) {
	data, err := os.ReadFile(certFile)
	if err != nil {
		return keyPair{}, fmt.Errorf("read ca: %w", err)
	}
	certs, err := parseCertsPEM(data)
	if err != nil {
		return keyPair{}, fmt.Errorf("ca %s: %w", certFile, err)
	}
	data, err = os.ReadFile(keyFile)
	if err != nil {
		return keyPair{}, fmt.Errorf("read ca key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return keyPair{}, fmt.Errorf("ca key %s: no PKCS #8 PRIVATE KEY block", keyFile)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return keyPair{}, fmt.Errorf("ca key %s: %w", keyFile, err)
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return keyPair{}, fmt.Errorf("ca key %s: not an ECDSA key", keyFile)
	}
	return keyPair{cert: certs[0], key: key}, nil
}

// ClientCertKubeconfig renders a kubeconfig that reaches the API server at
// server as user with a client certificate, trusting caPEM; certificate
// and key are embedded so that the file works from any directory. Pure.
func ClientCertKubeconfig(server string, caPEM, certPEM, keyPEM []byte, user string) ([]byte, error) {
	// Render the token form for its checks of server, CA and user, then
	// swap the credentials.
	if _, err := parseCertsPEM(certPEM); err != nil {
		return nil, fmt.Errorf("pki: kubeconfig: client certificate: %w", err)
	}
	if blk, _ := pem.Decode(keyPEM); blk == nil {
		return nil, errors.New("pki: kubeconfig: client key: no PEM block")
	}
	data, err := kubeconfig(server, caPEM, "placeholder", user)
	if err != nil {
		return nil, fmt.Errorf("pki: kubeconfig: %w", err)
	}
	cfg, err := clientcmd.Load(data)
	if err != nil {
		return nil, fmt.Errorf("pki: kubeconfig: %w", err)
	}
	auth := clientcmdapi.NewAuthInfo()
	auth.ClientCertificateData, auth.ClientKeyData = certPEM, keyPEM
	cfg.AuthInfos[user] = auth
	out, err := clientcmd.Write(*cfg)
	if err != nil {
		return nil, fmt.Errorf("pki: kubeconfig: encode: %w", err)
	}
	return out, nil
}

// WriteClientCertKubeconfig writes ClientCertKubeconfig for the given
// files to path with mode 0600, atomically.
func WriteClientCertKubeconfig(path, server, caFile, certFile, keyFile, user string) error {
	var pems [3][]byte
	for i, f := range []string{caFile, certFile, keyFile} {
		b, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("pki: write kubeconfig %s: %w", path, err)
		}
		pems[i] = b
	}
	data, err := ClientCertKubeconfig(server, pems[0], pems[1], pems[2], user)
	if err != nil {
		return fmt.Errorf("pki: write kubeconfig %s: %w", path, err)
	}
	if err := writeFileAtomic(path, data); err != nil {
		return fmt.Errorf("pki: write kubeconfig %s: %w", path, err)
	}
	return nil
}
