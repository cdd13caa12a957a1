package options

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/node-e2e/harness/services"
)

func TestNodeLayoutFlag(t *testing.T) {
	for _, c := range []struct {
		args    []string
		want    services.NodeLayout
		wantErr string // "" valid
	}{
		{nil, services.NodeLayoutIsolated, ""},
		{[]string{"--node-layout=isolated"}, services.NodeLayoutIsolated, ""},
		{[]string{"--node-layout=standard"}, services.NodeLayoutStandard, ""},
		{[]string{"--node-layout=production"}, "", `--node-layout="production": want isolated`},
		{[]string{"--node-layout="}, services.NodeLayoutIsolated, ""},
		{[]string{"--node-layout=standard", "--start-services=false", "--kubeconfig=/k"}, services.NodeLayoutStandard, "--node-layout=standard places the harness's own kubelet: it needs --start-services"},
		{[]string{"--node-layout=isolated", "--start-services=false", "--kubeconfig=/k"}, services.NodeLayoutIsolated, ""},
	} {
		cfg, err := parse(t, c.args...)
		if err != nil {
			t.Fatalf("%q: %v", c.args, err)
		}
		err = cfg.Validate()
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%q: Validate: %v", c.args, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%q: Validate = %v, want an error saying %q", c.args, err, c.wantErr)
		}
		if c.want != "" && cfg.nodeLayout() != c.want {
			t.Errorf("%q: node layout %q, want %q", c.args, cfg.nodeLayout(), c.want)
		}
	}
}

// fakeProbe is a host seen by the standard layout's preflight check.
func fakeProbe(kubeletPid int, dirs map[string][]string, cgroups ...string) services.HostProbe {
	return services.HostProbe{
		Processes: func() (map[int]string, error) {
			p := map[int]string{1: "init", 40: "containerd"}
			if kubeletPid > 0 {
				p[kubeletPid] = "kubelet"
			}
			return p, nil
		},
		ReadDir: func(d string) ([]string, error) {
			if names, ok := dirs[d]; ok {
				return names, nil
			}
			return nil, fs.ErrNotExist
		},
		CgroupMounts: func() ([]string, error) { return []string{"/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids"}, nil },
		Exists: func(p string) bool {
			for _, c := range cgroups {
				if c == p {
					return true
				}
			}
			return false
		},
	}
}

func TestCheckNodeLayoutRefusesPlacesInUse(t *testing.T) {
	for _, c := range []struct {
		name   string
		layout string
		probe  services.HostProbe
		want   []string // substrings of the refusal; none: accepted
	}{
		{"standard on a clean host", "standard", fakeProbe(0, nil), nil},
		{"standard with empty directories", "standard", fakeProbe(0, map[string][]string{"/var/lib/kubelet": {}, "/var/log/pods": {}}), nil},
		{"isolated beside another kubelet", "isolated", fakeProbe(99, map[string][]string{"/var/lib/kubelet": {"pods"}}, "/sys/fs/cgroup/memory/kubepods"), nil},
		{"standard beside a running kubelet", "standard", fakeProbe(99, nil), []string{"a kubelet is running (pid 99)"}},
		{"standard over another kubelet's root dir", "standard", fakeProbe(0, map[string][]string{"/var/lib/kubelet": {"pods", "plugins"}}), []string{"/var/lib/kubelet is not empty (pods, plugins)"}},
		{"standard over pod logs", "standard", fakeProbe(0, map[string][]string{"/var/log/pods": {"ns_pod_uid"}}), []string{"/var/log/pods is not empty"}},
		{"standard over a kubepods cgroup", "standard", fakeProbe(0, nil, "/sys/fs/cgroup/pids/kubepods"), []string{"cgroup /sys/fs/cgroup/pids/kubepods exists"}},
		{"standard over a kubepods slice", "standard", fakeProbe(0, nil, "/sys/fs/cgroup/memory/kubepods.slice"), []string{"cgroup /sys/fs/cgroup/memory/kubepods.slice exists"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := parse(t, "--node-layout="+c.layout)
			if err != nil {
				t.Fatal(err)
			}
			err = cfg.checkNodeLayout(c.probe)
			if len(c.want) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			// The refusal names the flag and the fix.
			for _, w := range append(c.want, "--node-layout=standard", "stop that kubelet", "--node-layout=isolated") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("refusal %q does not say %q", err, w)
				}
			}
		})
	}
	t.Run("a host that cannot be read", func(t *testing.T) {
		cfg, _ := parse(t, "--node-layout=standard")
		p := fakeProbe(0, nil)
		p.Processes = func() (map[int]string, error) { return nil, errors.New("no /proc") }
		if err := cfg.checkNodeLayout(p); err == nil || !strings.Contains(err.Error(), "--node-layout=standard") || !strings.Contains(err.Error(), "no /proc") {
			t.Errorf("err = %v", err)
		}
	})
}
