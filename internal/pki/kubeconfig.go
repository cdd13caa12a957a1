package pki

import (
	"errors"
	"fmt"
	"net/url"
	"os"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/node-e2e/harness/internal/run"
)

// kubeconfigName names the cluster and the context in a kubeconfig.
const kubeconfigName = "node-e2e"

// Kubeconfig renders a kubeconfig that reaches the API server at server
// (an https URL) as user with a bearer token, trusting caPEM, which is
// embedded so that the file works from any directory. It is pure. Errors
// never contain the token.
func Kubeconfig(server string, caPEM []byte, token, user string) ([]byte, error) {
	data, err := kubeconfig(server, caPEM, token, user)
	if err != nil {
		return nil, fmt.Errorf("pki: kubeconfig: %w", err)
	}
	return data, nil
}

func kubeconfig(server string, caPEM []byte, token, user string) ([]byte, error) {
	u, err := url.Parse(server)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	if u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("server %q is not an https URL", server)
	}
	if _, err := parseCertsPEM(caPEM); err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	if err := validToken(token); err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	if user == "" {
		return nil, errors.New("user is required")
	}

	cfg := clientcmdapi.NewConfig()
	cluster := clientcmdapi.NewCluster()
	cluster.Server = server
	cluster.CertificateAuthorityData = caPEM
	cfg.Clusters[kubeconfigName] = cluster
	auth := clientcmdapi.NewAuthInfo()
	auth.Token = token
	cfg.AuthInfos[user] = auth
	kctx := clientcmdapi.NewContext()
	kctx.Cluster = kubeconfigName
	kctx.AuthInfo = user
	cfg.Contexts[kubeconfigName] = kctx
	cfg.CurrentContext = kubeconfigName

	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return data, nil
}

// WriteKubeconfig writes Kubeconfig(server, contents of caFile, token, user)
// to path with mode 0600, atomically (temporary file and rename). The
// directory of path must exist.
func WriteKubeconfig(path, server, caFile, token, user string) error {
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		return fmt.Errorf("pki: write kubeconfig %s: read ca: %w", path, err)
	}
	data, err := kubeconfig(server, caPEM, token, user)
	if err != nil {
		return fmt.Errorf("pki: write kubeconfig %s: %w", path, err)
	}
	if err := run.WriteFile(path, data, fileMode); err != nil {
		return fmt.Errorf("pki: kubeconfig: %w", err)
	}
	return nil
}
