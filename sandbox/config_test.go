package sandbox

import (
	"flag"
	"strings"
	"testing"
	"time"
)

func TestParseBind(t *testing.T) {
	tests := []struct {
		in      string
		want    Bind
		wantErr string
	}{
		{in: "/work/main", want: Bind{Source: "/work/main", Target: "/work/main"}},
		{in: "/work/main/_output/bin:/opt/bin", want: Bind{Source: "/work/main/_output/bin", Target: "/opt/bin"}},
		{in: "/a:/b:ro", want: Bind{Source: "/a", Target: "/b", ReadOnly: true}},
		{in: "/a:/b:rw", want: Bind{Source: "/a", Target: "/b"}},
		{in: "/a::ro", want: Bind{Source: "/a", Target: "/a", ReadOnly: true}},
		{in: "/a/../b/", want: Bind{Source: "/b", Target: "/b"}},
		{in: "/tmp/report:/run/report", want: Bind{Source: "/tmp/report", Target: "/run/report"}},
		{in: "", wantErr: "want an absolute path"},
		{in: "relative", wantErr: "want an absolute path"},
		{in: "/a:relative", wantErr: "want an absolute path"},
		{in: "/a:/b:rx", wantErr: `mode "rx"`},
		{in: "/a:/b:ro:x", wantErr: "want SRC[:DST[:ro|rw]]"},
		{in: "/a:/", wantErr: "builds / itself"},
		{in: "/proc", wantErr: "builds /proc itself"},
		{in: "/a:/sys/fs/cgroup", wantErr: "builds /sys itself"},
		{in: "/a:/dev/foo", wantErr: "builds /dev itself"},
		{in: "/a:/run/systemd/system", wantErr: "builds /run/systemd itself"},
	}
	for _, tt := range tests {
		got, err := ParseBind(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseBind(%q) = %+v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseBind(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestBindString(t *testing.T) {
	tests := []struct {
		b    Bind
		want string
	}{
		{Bind{Source: "/a", Target: "/a"}, "/a"},
		{Bind{Source: "/a"}, "/a"},
		{Bind{Source: "/a", Target: "/b"}, "/a:/b"},
		{Bind{Source: "/a", Target: "/a", ReadOnly: true}, "/a:/a:ro"},
		{Bind{Source: "/a", ReadOnly: true}, "/a:/a:ro"},
	}
	for _, tt := range tests {
		if got := tt.b.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.b, got, tt.want)
		}
		if back, err := ParseBind(tt.want); err != nil || back.String() != tt.want {
			t.Errorf("ParseBind(%q) does not round-trip: %+v, %v", tt.want, back, err)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := NewConfig()
	tests := []struct {
		name    string
		mod     func(*Config)
		wantErr string
	}{
		{name: "defaults", mod: func(*Config) {}},
		{name: "name", mod: func(c *Config) { c.Name = "node-1" }},
		{name: "upper-case name", mod: func(c *Config) { c.Name = "Node" }, wantErr: "name"},
		{name: "name with slash", mod: func(c *Config) { c.Name = "a/b" }, wantErr: "name"},
		{name: "name ending in dash", mod: func(c *Config) { c.Name = "a-" }, wantErr: "name"},
		{name: "long name", mod: func(c *Config) { c.Name = strings.Repeat("a", 64) }, wantErr: "name"},
		{name: "relative bind", mod: func(c *Config) { c.Binds = []Bind{{Source: "x"}} }, wantErr: "absolute"},
		{name: "tmpfs", mod: func(c *Config) { c.Tmpfs = []string{"/var/lib/containerd"} }},
		{name: "relative tmpfs", mod: func(c *Config) { c.Tmpfs = []string{"var"} }, wantErr: "tmpfs"},
		{name: "tmpfs on /proc", mod: func(c *Config) { c.Tmpfs = []string{"/proc/x"} }, wantErr: "tmpfs"},
		{name: "mask", mod: func(c *Config) { c.MaskUnits = []string{"foo.service"} }},
		{name: "bad mask", mod: func(c *Config) { c.MaskUnits = []string{"foo"} }, wantErr: "mask"},
		{name: "negative boot timeout", mod: func(c *Config) { c.BootTimeout = -time.Second }, wantErr: "boot timeout"},
		{name: "relative systemd", mod: func(c *Config) { c.Systemd = "systemd" }, wantErr: "systemd"},
		{name: "no network", mod: func(c *Config) { c.NodeAddress = NoNetwork }},
		{name: "node address", mod: func(c *Config) { c.NodeAddress = "10.1.2.3/24" }},
		{name: "bad node address", mod: func(c *Config) { c.NodeAddress = "10.1.2.3" }, wantErr: "node address"},
	}
	for _, tt := range tests {
		c := ok
		tt.mod(&c)
		err := c.Validate()
		if tt.wantErr == "" && err != nil {
			t.Errorf("%s: Validate() = %v", tt.name, err)
		}
		if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s: Validate() = %v, want error containing %q", tt.name, err, tt.wantErr)
		}
	}
}

func TestWithDefaults(t *testing.T) {
	c, err := Config{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if !nameRE.MatchString(c.Name) || !strings.HasPrefix(c.Name, "sandbox-") {
		t.Errorf("default name %q", c.Name)
	}
	if c.BootTimeout != DefaultBootTimeout || c.StopTimeout != DefaultStopTimeout || c.Systemd != DefaultSystemd ||
		c.Nsenter != DefaultNsenter || c.Reexec != DefaultReexec || len(c.Env) != len(DefaultEnv) || c.NodeAddress != DefaultNodeAddress {
		t.Errorf("defaults not applied: %+v", c)
	}
	c2, _ := Config{}.withDefaults()
	if c2.Name == c.Name {
		t.Errorf("two default names are equal: %q", c.Name)
	}
	kept, _ := Config{Name: "x", BootTimeout: time.Second}.withDefaults()
	if kept.Name != "x" || kept.BootTimeout != time.Second {
		t.Errorf("set fields overwritten: %+v", kept)
	}
}

func TestAddFlags(t *testing.T) {
	c := NewConfig()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	c.AddFlags(fs)
	err := fs.Parse([]string{"--name=n1", "--bind=/a", "--bind", "/b:/c:ro", "--tmpfs=/var/lib/containerd",
		"--mask=foo.service", "--boot-timeout=5s", "--stop-timeout=2s", "--console-log=/tmp/c.log", "--node-address=none"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Bind{{Source: "/a", Target: "/a"}, {Source: "/b", Target: "/c", ReadOnly: true}}
	if c.Name != "n1" || len(c.Binds) != 2 || c.Binds[0] != want[0] || c.Binds[1] != want[1] ||
		c.Tmpfs[0] != "/var/lib/containerd" || c.MaskUnits[0] != "foo.service" ||
		c.BootTimeout != 5*time.Second || c.StopTimeout != 2*time.Second || c.ConsoleLog != "/tmp/c.log" || c.NodeAddress != NoNetwork {
		t.Errorf("flags not bound: %+v", c)
	}
	fs2 := flag.NewFlagSet("t", flag.ContinueOnError)
	fs2.SetOutput(new(strings.Builder))
	c2 := NewConfig()
	c2.AddFlags(fs2)
	if err := fs2.Parse([]string{"--bind=rel"}); err == nil {
		t.Error("--bind=rel accepted")
	}
}
