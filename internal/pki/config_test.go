package pki

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNewConfigDefaults(t *testing.T) {
	cfg := NewConfig()
	if cfg.Dir != "" {
		t.Errorf("Dir = %q, want empty (caller chooses)", cfg.Dir)
	}
	if want := []string{"127.0.0.1", "localhost"}; !slices.Equal(cfg.APIServerSANs, want) {
		t.Errorf("APIServerSANs = %q, want %q", cfg.APIServerSANs, want)
	}
	if want := []string{"127.0.0.1", "localhost"}; !slices.Equal(cfg.KubeletSANs, want) {
		t.Errorf("KubeletSANs = %q, want %q", cfg.KubeletSANs, want)
	}
	if cfg.AdminToken != "" {
		t.Error("AdminToken has a default; want empty so Generate makes one")
	}
	if cfg.Validity != 24*time.Hour {
		t.Errorf("Validity = %v, want 24h", cfg.Validity)
	}
	if cfg.NodeName != strings.ToLower(cfg.NodeName) {
		t.Errorf("NodeName %q is not lowercase", cfg.NodeName)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string // substring; "" means valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"ipv6 and wildcard SANs", func(c *Config) { c.APIServerSANs = []string{"::1", "*.example.com"} }, ""},
		{"no kubelet SANs", func(c *Config) { c.KubeletSANs = nil }, ""},
		{"given token", func(c *Config) { c.AdminToken = "abc-DEF_123.xyz" }, ""},
		{"no dir", func(c *Config) { c.Dir = "" }, "dir is required"},
		{"no node name", func(c *Config) { c.NodeName = "" }, "node name"},
		{"uppercase node name", func(c *Config) { c.NodeName = "Node-A" }, "lowercase DNS-1123"},
		{"node name with comma", func(c *Config) { c.NodeName = "a,b" }, "node name"},
		{"no api server SANs", func(c *Config) { c.APIServerSANs = nil }, "at least one SAN"},
		{"bad api server SAN", func(c *Config) { c.APIServerSANs = []string{"not a name"} }, "api server SAN"},
		{"empty kubelet SAN", func(c *Config) { c.KubeletSANs = []string{""} }, "kubelet SAN"},
		{"ip with zone", func(c *Config) { c.KubeletSANs = []string{"fe80::1%eth0"} }, "kubelet SAN"},
		{"token with comma", func(c *Config) { c.AdminToken = "secret,part" }, "admin token"},
		{"token with space", func(c *Config) { c.AdminToken = "secret part" }, "admin token"},
		{"zero validity", func(c *Config) { c.Validity = 0 }, "validity"},
		{"negative validity", func(c *Config) { c.Validity = -time.Hour }, "validity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := NewConfig()
			cfg.Dir = "/nonexistent/pki"
			cfg.NodeName = testNode
			tt.mutate(&cfg)
			err := cfg.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate() = %v, want error containing %q", err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "pki: ") {
				t.Errorf("error %q does not name the component", err)
			}
			if cfg.AdminToken != "" && strings.Contains(err.Error(), cfg.AdminToken) {
				t.Errorf("error %q contains the admin token", err)
			}
		})
	}
}

func TestValidateReportsAllProblems(t *testing.T) {
	err := Config{}.Validate()
	if err == nil {
		t.Fatal("Validate() of the zero Config = nil")
	}
	for _, want := range []string{"dir", "node name", "SAN", "validity"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestSplitSANs(t *testing.T) {
	tests := []struct {
		name      string
		in        []string
		wantIPs   []string
		wantNames []string
	}{
		{"empty", nil, nil, nil},
		{"defaults", []string{"127.0.0.1", "localhost"}, []string{"127.0.0.1"}, []string{"localhost"}},
		{"ipv6", []string{"::1", "fd00::10"}, []string{"::1", "fd00::10"}, nil},
		{"duplicates dropped, order kept", []string{"b", "10.0.0.1", "a", "B", "10.0.0.1", "::ffff:10.0.0.1"},
			[]string{"10.0.0.1"}, []string{"b", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ips, names := splitSANs(tt.in...)
			var gotIPs []string
			for _, ip := range ips {
				gotIPs = append(gotIPs, ip.String())
			}
			if !slices.Equal(gotIPs, tt.wantIPs) {
				t.Errorf("ips = %q, want %q", gotIPs, tt.wantIPs)
			}
			if !slices.Equal(names, tt.wantNames) {
				t.Errorf("names = %q, want %q", names, tt.wantNames)
			}
			for _, ip := range ips {
				if net.ParseIP(ip.String()) == nil {
					t.Errorf("ip %v does not round-trip", ip)
				}
			}
		})
	}
}

func TestConfigStringRedactsToken(t *testing.T) {
	cfg := NewConfig()
	cfg.AdminToken = "super-secret-admin-token"
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{cfg, &cfg} {
			if s := fmt.Sprintf(verb, v); strings.Contains(s, cfg.AdminToken) {
				t.Errorf("Sprintf(%s, %T) = %q contains the token", verb, v, s)
			}
		}
	}
}
