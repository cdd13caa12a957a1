package pki

import (
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/node-e2e/harness/internal/run"
)

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
	if err := run.WriteFile(path, data, fileMode); err != nil {
		return fmt.Errorf("pki: kubeconfig: %w", err)
	}
	return nil
}
