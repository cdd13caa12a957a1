package pki

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadRoundTrip(t *testing.T) {
	gen := mustGenerate(t, testConfig(t))
	got, err := Load(gen.Dir)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := *gen
	want.CreatedDir = "" // only Generate knows what it created
	if *got != want {
		t.Errorf("Load = %#v\nwant    %#v\n(paths %q vs %q)", got, want, got.Files(), want.Files())
	}
	if got.AdminToken != gen.AdminToken || got.NodeToken != gen.NodeToken {
		t.Error("Load did not return the generated tokens") // String redacts them above
	}
	if got.NodeName != testNode || got.NodeUser() != "system:node:"+testNode {
		t.Errorf("NodeName %q, NodeUser %q", got.NodeName, got.NodeUser())
	}
}

func TestLoadMissingFile(t *testing.T) {
	gen := mustGenerate(t, testConfig(t))
	for _, path := range gen.Files() {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range gen.Files() {
				if f != path {
					mustCopy(t, f, filepath.Join(dir, filepath.Base(f)))
				}
			}
			_, err := Load(dir)
			if err == nil {
				t.Fatalf("Load without %s succeeded", name)
			}
			if !strings.Contains(err.Error(), "missing "+name) {
				t.Errorf("error %q does not name %s", err, name)
			}
			if !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("error %q does not wrap fs.ErrNotExist", err)
			}
		})
	}
}

func TestLoadBadContent(t *testing.T) {
	tests := []struct {
		file    string
		content string
		wantErr string
	}{
		{"ca.crt", "not pem", "ca.crt: no PEM certificate"},
		{"tokens.csv", "", "tokens.csv: no entry for user node-e2e-admin"},
		{"tokens.csv", "secret-token,node-e2e-admin,u\n", "tokens.csv: no entry for a system:node:"},
		{"tokens.csv", "secret-token\n", "tokens.csv: line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.wantErr, func(t *testing.T) {
			b := mustGenerate(t, testConfig(t))
			if err := os.WriteFile(filepath.Join(b.Dir, tt.file), []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(b.Dir)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Load = %v, want error containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "secret-token") {
				t.Errorf("error %q contains a token", err)
			}
		})
	}
}

func TestBundleRedactsTokens(t *testing.T) {
	b := mustGenerate(t, testConfig(t))
	type wrapper struct{ B Bundle }
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{b, *b, wrapper{*b}, []*Bundle{b}} {
			s := fmt.Sprintf(verb, v)
			if strings.Contains(s, b.AdminToken) || strings.Contains(s, b.NodeToken) {
				t.Errorf("Sprintf(%s, %T) = %q shows a token", verb, v, s)
			}
			if !strings.Contains(s, "redacted") {
				t.Errorf("Sprintf(%s, %T) = %q does not say the tokens are redacted", verb, v, s)
			}
		}
	}
	if s, _ := b.MarshalLog().(string); strings.Contains(s, b.AdminToken) {
		t.Errorf("MarshalLog shows a token: %q", s)
	}
}

func mustCopy(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
