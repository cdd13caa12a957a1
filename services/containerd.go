package services

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/node-e2e/harness/internal/host"
	"github.com/node-e2e/harness/internal/proc"
)

// TestHandler is the harness's containerd's second runtime handler, an
// alias of runc, for RuntimeClass specs that need a handler other than the
// default (upstream's node CI configures the same name).
const TestHandler = "test-handler"

// ContainerdConfig describes the harness's own containerd.
type ContainerdConfig struct {
	// Binary is the containerd executable. Default "containerd" on $PATH.
	Binary string
	// Dir holds root/, state/, opt/, the socket and config.toml.
	Dir string
	// Socket is the gRPC socket path (inside Dir).
	Socket string
	// SandboxImage is the pause image's reference.
	SandboxImage string
	// RegistryDir is containerd's registry config_path: one directory per
	// registry host holding its hosts.toml. "" leaves it unset.
	RegistryDir string
	// CNIBinDir holds the CNI plugins. Default /usr/lib/cni (Debian).
	CNIBinDir string
	// CNIConfDir holds the generated conflist.
	CNIConfDir string
	// SystemdCgroup makes runc use the systemd cgroup driver.
	SystemdCgroup bool
	// LogPath receives containerd's output.
	LogPath string
	// Detach keeps containerd running after the harness exits.
	Detach bool
	// Cgroup is the cgroup containerd runs in, created in every hierarchy
	// under its existing parent (the run's cgroup root): the kubelet's
	// --runtime-cgroups. "" leaves containerd in the harness's cgroups.
	Cgroup string
}

// TOML returns containerd's config file (version 2, as containerd 1.6 and
// 1.7 read it). Every path containerd writes to is under c.Dir, so runs
// never share state with each other or with a system containerd.
func (c ContainerdConfig) TOML() string {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	var b strings.Builder
	fmt.Fprintf(&b, "version = 2\n")
	fmt.Fprintf(&b, "root = %s\nstate = %s\n", q(filepath.Join(c.Dir, "root")), q(filepath.Join(c.Dir, "state")))
	fmt.Fprintf(&b, "disabled_plugins = [\"io.containerd.snapshotter.v1.aufs\", \"io.containerd.snapshotter.v1.btrfs\", \"io.containerd.snapshotter.v1.zfs\", \"io.containerd.snapshotter.v1.devmapper\"]\n\n")
	fmt.Fprintf(&b, "[grpc]\n  address = %s\n\n", q(c.Socket))
	fmt.Fprintf(&b, "[ttrpc]\n  address = %s\n\n", q(c.Socket+".ttrpc"))
	fmt.Fprintf(&b, "[debug]\n  level = \"info\"\n\n")
	fmt.Fprintf(&b, "[metrics]\n  address = \"\"\n\n")
	fmt.Fprintf(&b, "[plugins.\"io.containerd.internal.v1.opt\"]\n  path = %s\n\n", q(filepath.Join(c.Dir, "opt")))
	fmt.Fprintf(&b, "[plugins.\"io.containerd.grpc.v1.cri\"]\n")
	fmt.Fprintf(&b, "  sandbox_image = %s\n", q(c.SandboxImage))
	// Root may lack CAP_SYS_RESOURCE: runc then cannot lower oom_score_adj.
	fmt.Fprintf(&b, "  restrict_oom_score_adj = true\n")
	fmt.Fprintf(&b, "  stream_server_address = \"127.0.0.1\"\n  stream_server_port = \"0\"\n")
	fmt.Fprintf(&b, "  [plugins.\"io.containerd.grpc.v1.cri\".containerd]\n    snapshotter = \"overlayfs\"\n    default_runtime_name = \"runc\"\n")
	// Every handler is runc, with the same options: runc under its own
	// name, and TestHandler, a second name for RuntimeClass specs (as
	// upstream's node CI configures containerd).
	for _, h := range []string{"runc", TestHandler} {
		fmt.Fprintf(&b, "    [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.%s]\n      runtime_type = \"io.containerd.runc.v2\"\n", h)
		fmt.Fprintf(&b, "      [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.%s.options]\n        SystemdCgroup = %t\n        Root = %s\n", h, c.SystemdCgroup, q(filepath.Join(c.Dir, "runc")))
	}
	if c.RegistryDir != "" {
		fmt.Fprintf(&b, "  [plugins.\"io.containerd.grpc.v1.cri\".registry]\n    config_path = %s\n", q(c.RegistryDir))
	}
	fmt.Fprintf(&b, "  [plugins.\"io.containerd.grpc.v1.cri\".cni]\n    bin_dir = %s\n    conf_dir = %s\n    max_conf_num = 1\n", q(c.CNIBinDir), q(c.CNIConfDir))
	return b.String()
}

// CNIConfig describes the pod network: one bridge with host-local IPAM.
type CNIConfig struct {
	// Bridge is the bridge interface name (at most 15 characters).
	Bridge string
	// Subnet is the pod CIDR.
	Subnet string
	// DataDir is where host-local records allocations.
	DataDir string
}

// Conflist returns the CNI network configuration list.
func (c CNIConfig) Conflist() ([]byte, error) {
	if len(c.Bridge) > 15 {
		return nil, fmt.Errorf("cni: bridge name %q is longer than 15 characters", c.Bridge)
	}
	conf := map[string]any{
		"cniVersion": "1.0.0",
		"name":       "node-e2e",
		"plugins": []any{
			map[string]any{
				"type":        "bridge",
				"bridge":      c.Bridge,
				"isGateway":   true,
				"ipMasq":      false,
				"hairpinMode": true,
				"ipam": map[string]any{
					"type":    "host-local",
					"ranges":  [][]map[string]string{{{"subnet": c.Subnet}}},
					"routes":  []map[string]string{{"dst": "0.0.0.0/0"}},
					"dataDir": c.DataDir,
				},
			},
		},
	}
	return json.MarshalIndent(conf, "", "  ")
}

// Containerd is the harness's own containerd process.
type Containerd struct {
	cfg ContainerdConfig
	p   *proc.Process
}

// NewContainerd returns a Containerd for cfg; Start runs it.
func NewContainerd(cfg ContainerdConfig) *Containerd {
	if cfg.Binary == "" {
		cfg.Binary = "containerd"
	}
	if p, err := exec.LookPath(cfg.Binary); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			cfg.Binary = abs
		}
	}
	if cfg.CNIBinDir == "" {
		cfg.CNIBinDir = "/usr/lib/cni"
	}
	return &Containerd{cfg: cfg}
}

// Start writes the config and runs containerd, returning once its CRI
// service answers on the socket.
func (c *Containerd) Start(ctx context.Context, cni CNIConfig) error {
	if err := os.MkdirAll(c.cfg.Dir, 0o700); err != nil {
		return fmt.Errorf("containerd: %w", err)
	}
	if err := os.MkdirAll(c.cfg.CNIConfDir, 0o755); err != nil {
		return fmt.Errorf("containerd: cni conf dir: %w", err)
	}
	conflist, err := cni.Conflist()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(c.cfg.CNIConfDir, "10-node-e2e.conflist"), conflist, 0o644); err != nil {
		return fmt.Errorf("containerd: write cni config: %w", err)
	}
	cfgPath := filepath.Join(c.cfg.Dir, "config.toml")
	if err := os.WriteFile(cfgPath, []byte(c.cfg.TOML()), 0o600); err != nil {
		return fmt.Errorf("containerd: write config: %w", err)
	}
	c.p = &proc.Process{Name: "containerd", Path: c.cfg.Binary, Args: []string{"--config", cfgPath}, LogPath: c.cfg.LogPath, Detach: c.cfg.Detach}
	if err := c.p.Start(); err != nil {
		return err
	}
	if c.cfg.Cgroup != "" {
		// Before it serves: the shims it starts later inherit the cgroup.
		points, err := host.CgroupMountPoints()
		if err == nil {
			_, err = JoinCgroup(points, c.cfg.Cgroup, c.p.Pid())
		}
		if err != nil {
			_ = c.p.Stop()
			return fmt.Errorf("containerd: run in its system cgroup: %w", err)
		}
	}
	ctx, cancel := context.WithTimeoutCause(ctx, 30*time.Second, fmt.Errorf("containerd: CRI not serving on %s after 30s", c.cfg.Socket))
	defer cancel()
	err = proc.Await(ctx, 50*time.Millisecond, func() (bool, error) {
		select {
		case err := <-c.p.Err():
			return false, err
		default:
		}
		if _, err := os.Stat(c.cfg.Socket); err != nil {
			return false, nil
		}
		return CRIReady(ctx, c.Endpoint()) == nil, nil
	})
	if err != nil {
		_ = c.p.Stop()
		return proc.WithLogTail(err, "log", c.cfg.LogPath, 20)
	}
	return nil
}

// Binary is the containerd executable Start runs: its absolute path when
// NewContainerd found it, so that a later revival (stale cleanup, in
// another process, with another $PATH) runs the same one.
func (c *Containerd) Binary() string { return c.cfg.Binary }

// Endpoint is the CRI endpoint URL.
func (c *Containerd) Endpoint() string { return "unix://" + c.cfg.Socket }

// Pid is containerd's pid, 0 before Start.
func (c *Containerd) Pid() int {
	if c.p == nil {
		return 0
	}
	return c.p.Pid()
}

// Err delivers an error if containerd exits by itself.
func (c *Containerd) Err() <-chan error {
	if c.p == nil {
		return nil
	}
	return c.p.Err()
}

// Exited reports whether containerd was started and has exited.
func (c *Containerd) Exited() bool { return c.p != nil && c.p.Exited() }

// Stop stops containerd and waits; idempotent and safe without Start.
func (c *Containerd) Stop() error {
	if c.p == nil {
		return nil
	}
	return c.p.Stop()
}
