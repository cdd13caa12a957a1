package janitor

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	good := Config{At: time.Unix(1, 0), Paths: []string{"/api/v1/namespaces/a"}, Host: "https://10.0.0.1:443", TokenFile: "/t"}
	if err := good.Validate(); err != nil {
		t.Fatalf("good config: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no time", func(c *Config) { c.At = time.Time{} }, "--janitor-at"},
		{"no paths", func(c *Config) { c.Paths = nil }, "--janitor-delete: give"},
		{"not an API path", func(c *Config) { c.Paths = []string{"/healthz"} }, `"/healthz" is not an API object path`},
		{"dot dot", func(c *Config) { c.Paths = []string{"/api/v1/../x"} }, "not an API object path"},
		{"query", func(c *Config) { c.Paths = []string{"/api/v1/namespaces/a?dryRun=All"} }, "not an API object path"},
		{"plain http", func(c *Config) { c.Host = "http://10.0.0.1" }, "--host=\"http://10.0.0.1\""},
		{"no token", func(c *Config) { c.TokenFile = "" }, "--bearer-token-file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.edit(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestRunDeletesInOrderRetryingWithAFreshToken: a 500 is retried with the
// token read again (rotated meanwhile), a 404 counts as gone, and nothing
// is sent before the expiry.
func TestRunDeletesInOrderRetryingWithAFreshToken(t *testing.T) {
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []string
	var first time.Time
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if first.IsZero() {
			first = time.Now()
		}
		got = append(got, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
		switch {
		case r.URL.Path == "/apis/rbac.authorization.k8s.io/v1/clusterroles/a" && len(got) == 1:
			// rotate the token, then fail: the retry must carry the new one
			if err := os.WriteFile(token, []byte("new\n"), 0o600); err != nil {
				t.Error(err)
			}
			http.Error(w, "etcd leader changed", http.StatusInternalServerError)
		case r.URL.Path == "/api/v1/namespaces/gone":
			http.Error(w, "not found", http.StatusNotFound)
		default:
			w.WriteHeader(http.StatusOK)
		}
	}))
	defer srv.Close()
	at := time.Now().Add(150 * time.Millisecond)
	var log bytes.Buffer
	err := Run(context.Background(), Config{
		At: at, Host: srv.URL, TokenFile: token, Retry: 10 * time.Millisecond, Client: srv.Client(),
		Paths: []string{"/apis/rbac.authorization.k8s.io/v1/clusterroles/a", "/api/v1/namespaces/gone", "/api/v1/namespaces/run"},
	}, &log)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"DELETE /apis/rbac.authorization.k8s.io/v1/clusterroles/a Bearer old",
		"DELETE /apis/rbac.authorization.k8s.io/v1/clusterroles/a Bearer new",
		"DELETE /api/v1/namespaces/gone Bearer new",
		"DELETE /api/v1/namespaces/run Bearer new",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if first.Before(at) {
		t.Errorf("first DELETE at %s, before the expiry %s", first.Format(time.StampMicro), at.Format(time.StampMicro))
	}
	for _, s := range []string{"500 Internal Server Error: etcd leader changed (retrying", "404 Not Found (already gone)"} {
		if !strings.Contains(log.String(), s) {
			t.Errorf("log lacks %q:\n%s", s, log.String())
		}
	}
}

func TestRunStopsWithItsContext(t *testing.T) {
	token := filepath.Join(t.TempDir(), "token")
	os.WriteFile(token, []byte("t"), 0o600)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := Run(ctx, Config{At: time.Now().Add(time.Hour), Paths: []string{"/api/v1/namespaces/a"}, Host: "https://127.0.0.1:1", TokenFile: token}, &bytes.Buffer{})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("err = %v after %s, want the context's end at once", err, time.Since(start))
	}
}
