package registry

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHostsTOML(t *testing.T) {
	tests := []struct {
		host string
		want string
	}{
		{"127.0.0.1:5000", `# Written by the node-e2e harness: its registry serves plain HTTP on loopback.
server = "http://127.0.0.1:5000"

[host."http://127.0.0.1:5000"]
  capabilities = ["pull", "resolve"]
`},
		{"[::1]:40123", `# Written by the node-e2e harness: its registry serves plain HTTP on loopback.
server = "http://[::1]:40123"

[host."http://[::1]:40123"]
  capabilities = ["pull", "resolve"]
`},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			if got := HostsTOML(tt.host); got != tt.want {
				t.Errorf("HostsTOML(%q) =\n%s\nwant\n%s", tt.host, got, tt.want)
			}
		})
	}
}

func TestWriteHostsDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "certs.d")
	const host = "127.0.0.1:5000"
	for i := range 2 { // the second write replaces the first
		if err := WriteHostsDir(dir, host); err != nil {
			t.Fatalf("write #%d: %v", i+1, err)
		}
	}
	hostDir := filepath.Join(dir, host) // containerd looks up <config_path>/<host:port>
	path := filepath.Join(hostDir, "hosts.toml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != HostsTOML(host) {
		t.Errorf("%s =\n%s\nwant\n%s", path, b, HostsTOML(host))
	}
	for p, want := range map[string]os.FileMode{dir: 0o755 | os.ModeDir, hostDir: 0o755 | os.ModeDir, path: 0o644} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Error(err)
		} else if fi.Mode() != want {
			t.Errorf("mode of %s = %v, want %v", p, fi.Mode(), want)
		}
	}
	if entries, _ := os.ReadDir(hostDir); len(entries) != 1 {
		t.Errorf("%s holds %d entries, want only hosts.toml (no temporary file left)", hostDir, len(entries))
	}
}

func TestWriteHostsDirRejectsBadHosts(t *testing.T) {
	for _, host := range []string{"", "127.0.0.1", "../x:1", "a/b:1", `a\b:1`, "..:1", ":5000", "127.0.0.1:"} {
		t.Run(host, func(t *testing.T) {
			dir := t.TempDir()
			err := WriteHostsDir(dir, host)
			if err == nil || !strings.Contains(err.Error(), "want HOST:PORT") {
				t.Errorf("WriteHostsDir(%q) = %v, want a HOST:PORT error", host, err)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("WriteHostsDir(%q) created %v", host, entries)
			}
		})
	}
}

func TestSplitRepoTag(t *testing.T) {
	tests := []struct {
		key, repo, tag string
		ok             bool
	}{
		{"library/app:v1", "library/app", "v1", true},
		{"app:latest", "app", "latest", true},
		{"app", "", "", false},
		{"app:", "", "", false},
		{":v1", "", "", false},
		{"host:5000/app", "", "", false},
	}
	for _, tt := range tests {
		repo, tag, ok := splitRepoTag(tt.key)
		if repo != tt.repo || tag != tt.tag || ok != tt.ok {
			t.Errorf("splitRepoTag(%q) = %q, %q, %v; want %q, %q, %v", tt.key, repo, tag, ok, tt.repo, tt.tag, tt.ok)
		}
	}
}
