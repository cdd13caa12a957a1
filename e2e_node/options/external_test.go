package options

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSplitImageRegistry(t *testing.T) {
	for _, tc := range []struct{ in, host, prefix string }{
		{"127.0.0.1:5000", "127.0.0.1:5000", ""},
		{"127.0.0.1:5000/", "127.0.0.1:5000", ""},
		{"registry.example.com/team/node-e2e", "registry.example.com", "team/node-e2e"},
	} {
		h, p, err := SplitImageRegistry(tc.in)
		if err != nil || h != tc.host || p != tc.prefix {
			t.Errorf("SplitImageRegistry(%q) = %q, %q, %v", tc.in, h, p, err)
		}
	}
	for _, bad := range []string{"", "http://127.0.0.1:5000", "a b", "host/x//y", "host/x:tag", "user@host"} {
		if _, _, err := SplitImageRegistry(bad); err == nil || !strings.Contains(err.Error(), "--image-registry") {
			t.Errorf("SplitImageRegistry(%q): error %v, want one naming the flag", bad, err)
		}
	}
}

func TestValidateExternal(t *testing.T) {
	c := NewConfig()
	c.External.ImageRegistry = "127.0.0.1:5000"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "with --start-services=false") {
		t.Errorf("--image-registry with the harness's own node: %v", err)
	}
	c = NewConfig()
	c.StartServices, c.Kubeconfig = false, "/k"
	c.External.KubeletRootDir, c.External.ImageRegistryCredentialsFile = "relative", "/creds"
	err := c.Validate()
	for _, want := range []string{`--kubelet-root-dir="relative": give an absolute path`, "--image-registry-credentials-file needs --image-registry"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want %q", err, want)
		}
	}
}

func TestRegistryCredentials(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	c := NewConfig()
	c.External.ImageRegistryCredentialsFile = write("ok", "u:p:w\n", 0o600)
	if u, p, err := c.RegistryCredentials(); err != nil || u != "u" || p != "p:w" {
		t.Errorf("RegistryCredentials() = %q, %q, %v", u, p, err)
	}
	for name, tc := range map[string]struct {
		content string
		mode    os.FileMode
		want    string
	}{
		"open":     {"u:p", 0o644, "chmod 600"},
		"no colon": {"up", 0o600, "want one line user:password"},
		"no pass":  {"u:", 0o600, "want one line user:password"},
	} {
		c.External.ImageRegistryCredentialsFile = write(strings.ReplaceAll(name, " ", "-"), tc.content, tc.mode)
		if _, _, err := c.RegistryCredentials(); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "--image-registry-credentials-file") {
			t.Errorf("%s: error %v, want one containing %q", name, err, tc.want)
		}
	}
}
