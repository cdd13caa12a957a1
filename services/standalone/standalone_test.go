package standalone

import (
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/node-e2e/harness/internal/pki"
	"github.com/node-e2e/harness/internal/run"
	"github.com/node-e2e/harness/services"
)

func standaloneTestConfig() Config {
	return Config{
		Layout:          run.Layout{ID: "20261130-000000-abcdef", Dir: "/r/20261130-000000-abcdef", ReportDir: "/rep"},
		NodeName:        "n1",
		KubeletBinary:   "/bin/kubelet",
		SuiteBinary:     "/bin/e2e_node.test",
		RuntimeEndpoint: "unix:///run/containerd/containerd.sock",
		CgroupDriver:    "cgroupfs",
	}
}

func TestStandaloneCommands(t *testing.T) {
	cfg := standaloneTestConfig()
	for _, tc := range []struct {
		name string
		got  []string
		want []string
	}{
		{"kubelet", KubeletCommand(cfg), []string{
			"/bin/kubelet",
			"--config=/r/20261130-000000-abcdef/kubelet/config.yaml",
			"--kubeconfig=/r/20261130-000000-abcdef/kubelet.kubeconfig",
			"--root-dir=/r/20261130-000000-abcdef/kubelet/root",
			"--cert-dir=/r/20261130-000000-abcdef/kubelet/root/pki",
			"--hostname-override=n1",
			"--v=2",
		}},
		{"suite", SuiteCommand(cfg, "127.0.0.1:5000"), []string{
			"ginkgo", "/bin/e2e_node.test", "--",
			"--start-services=false",
			"--kubeconfig=/r/20261130-000000-abcdef/admin.kubeconfig",
			"--node-name=n1",
			"--container-runtime-endpoint=unix:///run/containerd/containerd.sock",
			"--image-registry=127.0.0.1:5000",
			"--image-registry-credentials-file=/r/20261130-000000-abcdef/pki/registry-credentials",
		}},
	} {
		if !slices.Equal(tc.got, tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, tc.got, tc.want)
		}
	}
}

// The kubelet configuration written for the user's kubelet carries what
// this kind of host needs and trusts the run's CA for client calls.
func TestStandaloneKubeletConfig(t *testing.T) {
	cfg := standaloneTestConfig()
	cfg.FeatureGates = map[string]bool{"A": true}
	b := &pki.Bundle{CACert: "/p/ca.crt", KubeletCert: "/p/kubelet.crt", KubeletKey: "/p/kubelet.key"}
	out, err := services.KubeletConfigYAML(KubeletConfigFor(cfg, b), nil)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	auth := m["authentication"].(map[string]any)
	for key, want := range map[string]any{
		"failCgroupV1":             false,
		"oomScoreAdj":              float64(0),
		"cgroupRoot":               "/",
		"cgroupDriver":             "cgroupfs",
		"containerRuntimeEndpoint": "unix:///run/containerd/containerd.sock",
		"staticPodPath":            "/r/20261130-000000-abcdef/kubelet/manifests",
		"podLogsDir":               "/r/20261130-000000-abcdef/pod-logs",
		"tlsCertFile":              "/p/kubelet.crt",
		"tlsPrivateKeyFile":        "/p/kubelet.key",
	} {
		if m[key] != want {
			t.Errorf("%s = %v, want %v", key, m[key], want)
		}
	}
	if ca := auth["x509"].(map[string]any)["clientCAFile"]; ca != "/p/ca.crt" {
		t.Errorf("clientCAFile = %v, want /p/ca.crt", ca)
	}
	if fg := m["featureGates"].(map[string]any); fg["A"] != true {
		t.Errorf("featureGates = %v", fg)
	}
}

func TestStandaloneSummary(t *testing.T) {
	cfg := standaloneTestConfig()
	info := Info{
		APIServerURL: "https://127.0.0.1:1234", AdminKubeconfig: "/r/admin.kubeconfig", KubeletKubeconfig: "/r/kubelet.kubeconfig",
		KubeletConfig: "/r/kubelet/config.yaml", RegistryHost: "127.0.0.1:5000", HostsDir: "/r/containerd/certs.d",
		KubeletCommand: KubeletCommand(cfg), SuiteCommand: SuiteCommand(cfg, "127.0.0.1:5000"),
	}
	s := Summary(info, "n1", 1500*time.Millisecond)
	for _, want := range []string{
		"services ready in 1.5s\n",
		"  API server:         https://127.0.0.1:1234\n",
		"  admin kubeconfig:   /r/admin.kubeconfig\n",
		"system:node:n1, group system:nodes",
		"  image registry:     127.0.0.1:5000\n",
		"/r/containerd/certs.d",
		"\n  /bin/kubelet --config=",
		"\n  ginkgo /bin/e2e_node.test -- --start-services=false",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
}
