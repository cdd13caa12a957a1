package services

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestContainerdTOML(t *testing.T) {
	c := ContainerdConfig{Dir: "/r/containerd", Socket: "/r/containerd/containerd.sock", SandboxImage: "127.0.0.1:5000/pause:1.0", CNIBinDir: "/usr/lib/cni", CNIConfDir: "/r/cni/net.d"}
	got := c.TOML()
	for _, want := range []string{
		`root = "/r/containerd/root"`,
		`state = "/r/containerd/state"`,
		`address = "/r/containerd/containerd.sock"`,
		`path = "/r/containerd/opt"`,
		`sandbox_image = "127.0.0.1:5000/pause:1.0"`,
		`restrict_oom_score_adj = true`,
		`SystemdCgroup = false`,
		`Root = "/r/containerd/runc"`,
		`conf_dir = "/r/cni/net.d"`,
		`bin_dir = "/usr/lib/cni"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("config lacks %s:\n%s", want, got)
		}
	}
	// runc and its alias test-handler, each a runc v2 runtime with the same
	// options.
	for _, h := range []string{"runc", "test-handler"} {
		want := "    [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes." + h + "]\n      runtime_type = \"io.containerd.runc.v2\"\n" +
			"      [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes." + h + ".options]\n        SystemdCgroup = false\n        Root = \"/r/containerd/runc\"\n"
		if !strings.Contains(got, want) {
			t.Errorf("config lacks the %s handler %q:\n%s", h, want, got)
		}
	}
	if !strings.Contains(got, `default_runtime_name = "runc"`) {
		t.Errorf("the default handler must stay runc:\n%s", got)
	}
	// Nothing may point at the system containerd's paths.
	for _, bad := range []string{"/var/lib/containerd", "/run/containerd", "/opt/containerd"} {
		if strings.Contains(got, bad) {
			t.Errorf("config mentions %s", bad)
		}
	}
	c.SystemdCgroup = true
	if n := strings.Count(c.TOML(), "SystemdCgroup = true"); n != 2 {
		t.Errorf("SystemdCgroup honoured by %d handlers, want both", n)
	}
	if strings.Contains(got, "config_path") {
		t.Error("config_path set without a RegistryDir")
	}
	c.RegistryDir = "/r/containerd/certs.d"
	want := "  [plugins.\"io.containerd.grpc.v1.cri\".registry]\n    config_path = \"/r/containerd/certs.d\"\n"
	if !strings.Contains(c.TOML(), want) {
		t.Errorf("config lacks the registry config_path %q:\n%s", want, c.TOML())
	}
}

func TestCNIConflist(t *testing.T) {
	b, err := CNIConfig{Bridge: "e2e-abc123", Subnet: "10.233.0.0/24", DataDir: "/r/cni/ipam"}.Conflist()
	if err != nil {
		t.Fatal(err)
	}
	var conf struct {
		Plugins []struct {
			Type   string `json:"type"`
			Bridge string `json:"bridge"`
			IPMasq bool   `json:"ipMasq"`
			IPAM   struct {
				Type    string                `json:"type"`
				DataDir string                `json:"dataDir"`
				Ranges  [][]map[string]string `json:"ranges"`
			} `json:"ipam"`
		} `json:"plugins"`
	}
	if err := json.Unmarshal(b, &conf); err != nil {
		t.Fatal(err)
	}
	p := conf.Plugins[0]
	if p.Type != "bridge" || p.Bridge != "e2e-abc123" || p.IPAM.Type != "host-local" || p.IPAM.DataDir != "/r/cni/ipam" || p.IPAM.Ranges[0][0]["subnet"] != "10.233.0.0/24" {
		t.Errorf("unexpected conflist: %s", b)
	}
	if p.IPMasq {
		t.Error("ipMasq would add iptables rules the run must then remove")
	}
	if _, err := (CNIConfig{Bridge: "much-too-long-bridge"}).Conflist(); err == nil {
		t.Error("a bridge name over 15 characters must be refused")
	}
}

// TestContainerdBinaryResolved: the containerd a node starts is found on
// $PATH once, when the node is configured, and recorded as an absolute
// path, so that stale cleanup in another process revives the same one.
func TestContainerdBinaryResolved(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "my-containerd")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	for _, c := range []struct{ given, want string }{
		{"my-containerd", bin},
		{bin, bin},
		{"", "containerd"}, // not on this $PATH: left as given, Start fails naming it
		{"no-such-containerd", "no-such-containerd"},
	} {
		if got := NewContainerd(ContainerdConfig{Binary: c.given}).Binary(); got != c.want {
			t.Errorf("NewContainerd(Binary: %q).Binary() = %q, want %q", c.given, got, c.want)
		}
	}
}
