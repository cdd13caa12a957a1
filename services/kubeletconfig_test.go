package services

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"
	"sigs.k8s.io/yaml"
)

func testInput() KubeletConfigInput {
	return KubeletConfigInput{
		RuntimeEndpoint: "unix:///run/e2e/containerd.sock",
		StaticPodDir:    "/run/e2e/manifests",
		PodLogsDir:      "/run/e2e/pod-logs",
		VolumePluginDir: "/run/e2e/volume-plugins",
		ClientCAFile:    "/run/e2e/pki/ca.crt",
		TLSCertFile:     "/run/e2e/pki/kubelet.crt",
		TLSKeyFile:      "/run/e2e/pki/kubelet.key",
		CgroupDriver:    "cgroupfs",
		CgroupRoot:      "/node-e2e-abc123",
	}
}

func decode(t *testing.T, b []byte) kubeletv1beta1.KubeletConfiguration {
	t.Helper()
	var kc kubeletv1beta1.KubeletConfiguration
	if err := yaml.UnmarshalStrict(b, &kc); err != nil {
		t.Fatalf("generated config does not decode strictly: %v\n%s", err, b)
	}
	return kc
}

func TestKubeletConfigYAML(t *testing.T) {
	cases := []struct {
		name    string
		user    string
		gates   map[string]bool
		kubelet string
		check   func(t *testing.T, kc kubeletv1beta1.KubeletConfiguration)
	}{
		{
			name: "harness defaults and required settings",
			check: func(t *testing.T, kc kubeletv1beta1.KubeletConfiguration) {
				if kc.Kind != "KubeletConfiguration" || kc.APIVersion != "kubelet.config.k8s.io/v1beta1" {
					t.Errorf("type = %s/%s", kc.APIVersion, kc.Kind)
				}
				if kc.FailCgroupV1 == nil || *kc.FailCgroupV1 {
					t.Errorf("failCgroupV1 = %v, want false", kc.FailCgroupV1)
				}
				if kc.OOMScoreAdj == nil || *kc.OOMScoreAdj != 0 {
					t.Errorf("oomScoreAdj = %v, want 0", kc.OOMScoreAdj)
				}
				if kc.ReadOnlyPort != 0 {
					t.Errorf("readOnlyPort = %d, want 0 (off)", kc.ReadOnlyPort)
				}
				if kc.Authentication.Anonymous.Enabled == nil || *kc.Authentication.Anonymous.Enabled {
					t.Error("anonymous authentication must be off")
				}
				if kc.Authentication.Webhook.Enabled == nil || !*kc.Authentication.Webhook.Enabled {
					t.Error("webhook authentication must be on")
				}
				if kc.Authorization.Mode != kubeletv1beta1.KubeletAuthorizationModeWebhook {
					t.Errorf("authorization mode = %q, want Webhook", kc.Authorization.Mode)
				}
				if kc.Authentication.X509.ClientCAFile != "/run/e2e/pki/ca.crt" {
					t.Errorf("clientCAFile = %q", kc.Authentication.X509.ClientCAFile)
				}
				if kc.CgroupRoot != "/node-e2e-abc123" || kc.CgroupDriver != "cgroupfs" {
					t.Errorf("cgroupRoot/driver = %q/%q", kc.CgroupRoot, kc.CgroupDriver)
				}
				if kc.StaticPodPath != "/run/e2e/manifests" || kc.PodLogsDir != "/run/e2e/pod-logs" || kc.VolumePluginDir != "/run/e2e/volume-plugins" {
					t.Errorf("paths not under the run dir: %q %q %q", kc.StaticPodPath, kc.PodLogsDir, kc.VolumePluginDir)
				}
				if kc.ContainerRuntimeEndpoint != "unix:///run/e2e/containerd.sock" {
					t.Errorf("containerRuntimeEndpoint = %q", kc.ContainerRuntimeEndpoint)
				}
			},
		},
		{
			name: "user file overrides defaults",
			user: "kind: KubeletConfiguration\napiVersion: kubelet.config.k8s.io/v1beta1\nmaxPods: 42\noomScoreAdj: -999\nevictionHard:\n  memory.available: 1Gi\n",
			check: func(t *testing.T, kc kubeletv1beta1.KubeletConfiguration) {
				if kc.MaxPods != 42 {
					t.Errorf("maxPods = %d, want 42", kc.MaxPods)
				}
				if *kc.OOMScoreAdj != -999 {
					t.Errorf("oomScoreAdj = %d, want the user's -999", *kc.OOMScoreAdj)
				}
				if kc.EvictionHard["memory.available"] != "1Gi" {
					t.Errorf("evictionHard memory = %q", kc.EvictionHard["memory.available"])
				}
				if kc.EvictionHard["nodefs.available"] != "2%" {
					t.Errorf("nested defaults lost in merge: %v", kc.EvictionHard)
				}
			},
		},
		{
			name: "required settings override the user file",
			user: "kind: KubeletConfiguration\napiVersion: kubelet.config.k8s.io/v1beta1\nreadOnlyPort: 10255\nstaticPodPath: /etc/kubernetes/manifests\nauthentication:\n  anonymous:\n    enabled: true\nauthorization:\n  mode: AlwaysAllow\n",
			check: func(t *testing.T, kc kubeletv1beta1.KubeletConfiguration) {
				if kc.ReadOnlyPort != 0 {
					t.Errorf("readOnlyPort = %d, the harness requires 0", kc.ReadOnlyPort)
				}
				if kc.StaticPodPath != "/run/e2e/manifests" {
					t.Errorf("staticPodPath = %q", kc.StaticPodPath)
				}
				if *kc.Authentication.Anonymous.Enabled || kc.Authorization.Mode != "Webhook" {
					t.Error("the user file must not turn anonymous access or AlwaysAllow back on")
				}
			},
		},
		{
			name:    "the kubelet's system cgroup",
			kubelet: "/node-e2e-abc123/kubelet",
			check: func(t *testing.T, kc kubeletv1beta1.KubeletConfiguration) {
				if kc.KubeletCgroups != "/node-e2e-abc123/kubelet" {
					t.Errorf("kubeletCgroups = %q, want /node-e2e-abc123/kubelet", kc.KubeletCgroups)
				}
				if kc.SystemCgroups != "" {
					t.Errorf("systemCgroups = %q: the kubelet would move every host process in the root cgroup into it", kc.SystemCgroups)
				}
			},
		},
		{
			name: "no kubelet cgroup unless given",
			check: func(t *testing.T, kc kubeletv1beta1.KubeletConfiguration) {
				if kc.KubeletCgroups != "" {
					t.Errorf("kubeletCgroups = %q, want unset", kc.KubeletCgroups)
				}
			},
		},
		{
			name:    "a user's kubeletCgroups wins",
			kubelet: "/node-e2e-abc123/kubelet",
			user:    "kind: KubeletConfiguration\napiVersion: kubelet.config.k8s.io/v1beta1\nkubeletCgroups: /mine\n",
			check: func(t *testing.T, kc kubeletv1beta1.KubeletConfiguration) {
				if kc.KubeletCgroups != "/mine" {
					t.Errorf("kubeletCgroups = %q, want the user's /mine", kc.KubeletCgroups)
				}
			},
		},
		{
			name:  "feature gates",
			gates: map[string]bool{"A": true, "B": false},
			check: func(t *testing.T, kc kubeletv1beta1.KubeletConfiguration) {
				if !kc.FeatureGates["A"] || kc.FeatureGates["B"] || len(kc.FeatureGates) != 2 {
					t.Errorf("featureGates = %v", kc.FeatureGates)
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := testInput()
			in.FeatureGates = c.gates
			in.KubeletCgroups = c.kubelet
			var user map[string]any
			if c.user != "" {
				var err error
				if user, err = parseKubeletConfig("user.yaml", []byte(c.user)); err != nil {
					t.Fatal(err)
				}
			}
			b, err := KubeletConfigYAML(in, user)
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, decode(t, b))
		})
	}
}

func TestLoadKubeletConfigFileErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, content string
		want          []string
	}{
		{"not yaml", "{{{", []string{"--kubelet-config-file", "not valid YAML"}},
		{"empty", "", []string{"empty"}},
		{"wrong kind", "kind: Pod\napiVersion: v1\n", []string{"kind Pod", "KubeletConfiguration"}},
		{"unknown field", "kind: KubeletConfiguration\napiVersion: kubelet.config.k8s.io/v1beta1\nmaxPodz: 3\n", []string{"maxPodz", "check field names"}},
		{"wrong type", "kind: KubeletConfiguration\napiVersion: kubelet.config.k8s.io/v1beta1\nmaxPods: lots\n", []string{"--kubelet-config-file"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".yaml")
			if err := os.WriteFile(p, []byte(c.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadKubeletConfigFile(p)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range append(c.want, p) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	_, err := LoadKubeletConfigFile(filepath.Join(dir, "missing.yaml"))
	if err == nil || !strings.Contains(err.Error(), "--kubelet-config-file") || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file error = %v", err)
	}
}

func TestParseFeatureGates(t *testing.T) {
	cases := []struct {
		in      string
		want    map[string]bool
		wantErr string
	}{
		{"", map[string]bool{}, ""},
		{"A=true, B=false", map[string]bool{"A": true, "B": false}, ""},
		{"A=TRUE", map[string]bool{"A": true}, ""},
		{"A", nil, "not Name=true|false"},
		{"A=yes", nil, "true or false"},
		{"=true", nil, "not Name=true|false"},
	}
	for _, c := range cases {
		got, err := ParseFeatureGates(c.in)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) || !strings.Contains(err.Error(), "--feature-gates") {
				t.Errorf("ParseFeatureGates(%q) error = %v, want %q", c.in, err, c.wantErr)
			}
			continue
		}
		if err != nil || len(got) != len(c.want) {
			t.Errorf("ParseFeatureGates(%q) = %v, %v", c.in, got, err)
			continue
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("ParseFeatureGates(%q)[%s] = %v", c.in, k, got[k])
			}
		}
	}
}
