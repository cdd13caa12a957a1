package registry

import (
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
		want   []string // substrings of the error; none: valid
	}{
		{"defaults", func(*Config) {}, nil},
		{"fixed port", func(c *Config) { c.Address = "127.0.0.1:5000" }, nil},
		{"other loopback IP", func(c *Config) { c.Address = "127.0.0.2:0" }, nil},
		{"IPv6 loopback", func(c *Config) { c.Address = "[::1]:0" }, nil},
		{"nested prefix", func(c *Config) { c.PrivatePrefix = "secret/team-a/" }, nil},
		{"all interfaces", func(c *Config) { c.Address = ":5000" }, []string{`":5000"`, "loopback only"}},
		{"any address", func(c *Config) { c.Address = "0.0.0.0:5000" }, []string{"loopback only"}},
		{"other host", func(c *Config) { c.Address = "10.0.0.1:5000" }, []string{"loopback only"}},
		{"host name", func(c *Config) { c.Address = "localhost:5000" }, []string{"loopback only"}},
		{"no port", func(c *Config) { c.Address = "127.0.0.1" }, []string{"want 127.0.0.1:PORT"}},
		{"port out of range", func(c *Config) { c.Address = "127.0.0.1:70000" }, []string{`port "70000"`, "--registry-port"}},
		{"named port", func(c *Config) { c.Address = "127.0.0.1:http" }, []string{"--registry-port"}},
		{"prefix without slash", func(c *Config) { c.PrivatePrefix = "private" }, []string{`must end in "/"`}},
		{"empty prefix", func(c *Config) { c.PrivatePrefix = "" }, []string{`must end in "/"`}},
		{"uppercase prefix", func(c *Config) { c.PrivatePrefix = "Private/" }, []string{"not a repository path"}},
		{"slash only", func(c *Config) { c.PrivatePrefix = "/" }, []string{"not a repository path"}},
		{"empty username", func(c *Config) { c.Username = "" }, []string{"username"}},
		{"colon in username", func(c *Config) { c.Username = "a:b" }, []string{"':'"}},
		{"empty password", func(c *Config) { c.Password = "" }, []string{"password"}},
		{"no shutdown timeout", func(c *Config) { c.ShutdownTimeout = 0 }, []string{"shutdown timeout 0s must be positive"}},
		{"every problem", func(c *Config) { *c = Config{Address: "0.0.0.0:1"} }, []string{"loopback", "prefix", "username", "password"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewConfig()
			tt.modify(&c)
			err := c.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error mentioning %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to mention %q", err, w)
				}
			}
		})
	}
}

func TestNewConfigDefaults(t *testing.T) {
	c := NewConfig()
	if c.Address != "127.0.0.1:0" || c.PrivatePrefix != "private/" || c.Username != "node-e2e" || c.LogWriter != nil || c.ShutdownTimeout != 5*time.Second {
		t.Errorf("NewConfig() = %+v, want the documented defaults", c)
	}
	if d := NewConfig(); d.Password == c.Password {
		t.Error("two NewConfig calls share a password")
	}
}

func TestNewCredentials(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		user, pass := NewCredentials()
		if user != DefaultUsername {
			t.Fatalf("username %q, want %q", user, DefaultUsername)
		}
		if len(pass) != 26 || strings.ContainsAny(pass, ":\"'\\ ") {
			t.Fatalf("password %q: want 26 characters safe in a header and a docker config", pass)
		}
		if seen[pass] {
			t.Fatalf("password %q repeated", pass)
		}
		seen[pass] = true
	}
}
