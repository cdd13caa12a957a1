package options

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBearerTokenFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "token")
	if err := os.WriteFile(good, []byte("s3cret-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	two := filepath.Join(dir, "two")
	if err := os.WriteFile(two, []byte("a b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := parse(t, "--bearer-token-file="+good)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.LoadBearerTokenFile(); err != nil || c.BearerToken != "s3cret-token" {
		t.Fatalf("token = %q, %v; want the file's token", c.BearerToken, err)
	}
	for name, f := range map[string]string{"missing": filepath.Join(dir, "nope"), "two words": two, "empty": empty} {
		c, _ := parse(t, "--bearer-token-file="+f)
		if err := c.LoadBearerTokenFile(); err == nil || !strings.Contains(err.Error(), "--bearer-token-file="+f) {
			t.Errorf("%s: err = %v, want one naming the flag and file", name, err)
		}
	}
}

func TestValidateSecretFlags(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--bearer-token=x", "--bearer-token-file=/f"}, "give one"},
		{[]string{"--host-ca-file=/ca.pem"}, "--host-ca-file needs --host"},
	}
	for _, c := range cases {
		cfg, err := parse(t, c.args...)
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.args, err, c.want)
		}
	}
	cfg, _ := parse(t, "--start-services=false", "--host=https://127.0.0.1:6443", "--host-ca-file=/ca.pem", "--bearer-token-file=/f")
	if err := cfg.Validate(); err != nil {
		t.Errorf("a verified --host with a token file: %v", err)
	}
}
