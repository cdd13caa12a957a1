package pki

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
)

func TestNewToken(t *testing.T) {
	a, err := newToken()
	if err != nil {
		t.Fatal(err)
	}
	b, err := newToken()
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Error("two tokens are equal")
	}
	raw, err := base64.RawURLEncoding.DecodeString(a)
	if err != nil || len(raw) != 32 {
		t.Errorf("token is not 32 base64url bytes: len %d, err %v", len(raw), err)
	}
	if err := validToken(a); err != nil {
		t.Errorf("generated token is not valid: %v", err)
	}
}

func TestValidToken(t *testing.T) {
	tests := []struct {
		tok string
		ok  bool
	}{
		{"abc", true},
		{"A-z_0.9~+/=", true},
		{"", false},
		{"a b", false},
		{"a,b", false},
		{`a"b`, false},
		{"a\nb", false},
		{"a\tb", false},
		{"caf\u00e9", false},
	}
	for _, tt := range tests {
		err := validToken(tt.tok)
		if (err == nil) != tt.ok {
			t.Errorf("validToken(%q) = %v, want ok=%v", tt.tok, err, tt.ok)
		}
		if err != nil && tt.tok != "" && strings.Contains(err.Error(), tt.tok) {
			t.Errorf("validToken error %q contains the token", err)
		}
	}
}

func TestTokenFileRoundTrip(t *testing.T) {
	in := []tokenEntry{
		{token: "t1", user: AdminUser, uid: AdminUser, groups: []string{AdminGroup}},
		{token: "t2", user: NodeUser("n"), uid: NodeUser("n"), groups: []string{NodeGroup, "extra"}},
	}
	data := encodeTokenFile(in)
	if want := "t2,system:node:n,system:node:n,\"system:nodes,extra\"\n"; !strings.HasSuffix(string(data), want) {
		t.Errorf("token file = %q, want it to end with %q", data, want)
	}
	out, err := parseTokenFile(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("parsed %d entries, want %d", len(out), len(in))
	}
	for i := range in {
		if out[i].token != in[i].token || out[i].user != in[i].user || out[i].uid != in[i].uid || !slices.Equal(out[i].groups, in[i].groups) {
			t.Errorf("entry %d = %+v, want %+v", i, out[i], in[i])
		}
	}
}

func TestParseTokenFile(t *testing.T) {
	tests := []struct {
		name      string
		data      string
		wantErr   string
		wantAdmin string // token of the admin entry, if findTokens should succeed
		wantNode  string
	}{
		{name: "both entries", data: "a1,node-e2e-admin,u1,\"system:masters\"\nn1,system:node:x,u2,system:nodes\n", wantAdmin: "a1", wantNode: "n1"},
		{name: "no groups field", data: "a1,node-e2e-admin,u1\n", wantErr: "no entry for a system:node:"},
		{name: "node user without node group", data: "a1,node-e2e-admin,u1\nn1,system:node:x,u2,other\n", wantErr: "system:nodes"},
		{name: "no admin", data: "n1,system:node:x,u2,system:nodes\n", wantErr: "no entry for user node-e2e-admin"},
		{name: "too few fields", data: "secret-token,user\n", wantErr: "line 1"},
		{name: "bad quoting", data: "secret-token,u,\"x\"y\n", wantErr: "line 1"},
		{name: "empty", data: "", wantErr: "no entry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries, err := parseTokenFile([]byte(tt.data))
			var admin, node tokenEntry
			if err == nil {
				admin, node, err = findTokens(entries)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "secret-token") {
					t.Errorf("error %q contains a token", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if admin.token != tt.wantAdmin || node.token != tt.wantNode {
				t.Errorf("tokens = %q, %q; want %q, %q", admin.token, node.token, tt.wantAdmin, tt.wantNode)
			}
		})
	}
}
