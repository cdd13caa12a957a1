package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	v1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
)

// Bad input for a node the harness did not start: each case exits 2 in
// seconds, naming the flag and the fix, before any spec. The API server is
// standalone services mode's; the Nodes are objects created here (no
// kubelet runs), which is all the checks before the specs need.
func TestIntegrationExistingNodeBadInput(t *testing.T) {
	suite := requireServices(t)
	svc := startStandalone(t, suite, shortRunRoot(t), "--node-name=a")
	svc.await(t, apiURLLine, 2*time.Minute)
	adminPath := adminLine.FindStringSubmatch(svc.out.String())[1]
	admin := clientFor(t, adminPath)
	ctx := context.Background()
	dir := t.TempDir()

	// A kubeconfig whose API server does not answer.
	nowhere := filepath.Join(dir, "nowhere.kubeconfig")
	writeKubeconfig(t, nowhere, "https://127.0.0.1:1", "", "token")

	// A user who may list Nodes but not read the kubelet's /configz.
	limited := filepath.Join(dir, "limited.kubeconfig")
	writeKubeconfig(t, limited, apiURLLine.FindStringSubmatch(svc.out.String())[1], caOf(t, adminPath), limitedToken(t, ctx, admin))

	cases := []struct {
		name  string
		args  []string
		setup func()
		want  []string
	}{
		{"kubeconfig pointing nowhere", []string{"--kubeconfig=" + nowhere}, nil,
			[]string{"--kubeconfig=" + nowhere, "cannot list Nodes", "is the API server up"}},
		{"no Node yet", []string{"--kubeconfig=" + adminPath, "--node-name=a"}, nil,
			[]string{"--node-name=a", "has no Node yet", "start the kubelet first"}},
		{"two Nodes, no --node-name", []string{"--kubeconfig=" + adminPath}, func() { createNode(t, ctx, admin, "a"); createNode(t, ctx, admin, "b") },
			[]string{"has 2 Nodes (a, b)", "give --node-name"}},
		{"wrong --node-name", []string{"--kubeconfig=" + adminPath, "--node-name=c"}, nil,
			[]string{"--node-name=c: no such Node", "it has a, b"}},
		{"unreachable --image-registry", []string{"--kubeconfig=" + adminPath, "--node-name=a", "--image-registry=127.0.0.1:1"}, nil,
			[]string{"--image-registry=127.0.0.1:1", "does not answer", "leave --image-registry out"}},
		{"/configz forbidden", []string{"--kubeconfig=" + limited, "--node-name=a"}, nil,
			[]string{"--kubeconfig=" + limited, "/proxy/configz) is forbidden", "nodes/proxy", "--static-pod-path"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup()
			}
			args := append([]string{"--start-services=false", "--report-dir=" + t.TempDir()}, tc.args...)
			start := time.Now()
			out, err := exec.Command(suite, args...).CombinedOutput()
			took := time.Since(start)
			t.Logf("exit %d in %s:\n%s", exitCode(err), took.Round(time.Millisecond), out)
			if code := exitCode(err); code != 2 {
				t.Errorf("exit %d, want 2:\n%s", code, out)
			}
			if took > 10*time.Second {
				t.Errorf("took %s, want seconds", took)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(string(out), "panic") {
				t.Errorf("panicked:\n%s", out)
			}
		})
	}
	if code, took := svc.terminate(t, 30*time.Second); code != 0 {
		t.Errorf("services mode exited %d after %s", code, took)
	}
	expectNothingLeft(t, svc)
}

func writeKubeconfig(t *testing.T, path, server, caFile, token string) {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["c"] = &clientcmdapi.Cluster{Server: server, CertificateAuthority: caFile, InsecureSkipTLSVerify: caFile == ""}
	cfg.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["x"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
	cfg.CurrentContext = "x"
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
}

// caOf writes the CA of kubeconfig path to a file and returns its path.
func caOf(t *testing.T, path string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cfg.Clusters {
		if c.CertificateAuthority != "" {
			return c.CertificateAuthority
		}
		ca := filepath.Join(t.TempDir(), "ca.crt")
		if err := os.WriteFile(ca, c.CertificateAuthorityData, 0o600); err != nil {
			t.Fatal(err)
		}
		return ca
	}
	t.Fatalf("%s has no cluster", path)
	return ""
}

// limitedToken is a token for a ServiceAccount allowed to get and list
// Nodes, and nothing else.
func limitedToken(t *testing.T, ctx context.Context, admin *kubernetes.Clientset) string {
	t.Helper()
	const ns, name = "default", "nodes-reader"
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := admin.CoreV1().ServiceAccounts(ns).Create(ctx, &v1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	must(err)
	_, err = admin.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get", "list"}}},
	}, metav1.CreateOptions{})
	must(err)
	_, err = admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: name},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: ns, Name: name}},
	}, metav1.CreateOptions{})
	must(err)
	tr, err := admin.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)}}, metav1.CreateOptions{})
	must(err)
	return tr.Status.Token
}

// createNode creates a Node object (no kubelet behind it).
func createNode(t *testing.T, ctx context.Context, admin *kubernetes.Clientset, name string) {
	t.Helper()
	if _, err := admin.CoreV1().Nodes().Create(ctx, &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}
