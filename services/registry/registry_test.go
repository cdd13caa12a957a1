package registry

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestPushThenPullPublicAnonymously(t *testing.T) {
	r := mustStart(t, NewConfig())
	if !regexp.MustCompile(`^127\.0\.0\.1:[1-9][0-9]*$`).MatchString(r.Host()) {
		t.Fatalf("Host() = %q, want 127.0.0.1:PORT with the bound port", r.Host())
	}
	if got, want := r.Ref("library/app", "v1"), r.Host()+"/library/app:v1"; got != want {
		t.Errorf("Ref = %q, want %q", got, want)
	}
	if got, want := r.DigestRef("library/app", "sha256:ab"), r.Host()+"/library/app@sha256:ab"; got != want {
		t.Errorf("DigestRef = %q, want %q", got, want)
	}
	img := mustRandomImage(t)
	pushed := mustPush(t, r, "library/app", "v1", img)

	got, err := pull(t.Context(), newTransport(t), r.Ref("library/app", "v1"), authn.Anonymous)
	if err != nil {
		t.Fatalf("anonymous pull of a public image: %v", err)
	}
	if got != pushed {
		t.Errorf("pulled digest %s, pushed %s", got, pushed)
	}
}

func TestPrivateRepoNeedsCredentials(t *testing.T) {
	cfg := NewConfig()
	r := mustStart(t, cfg)
	pushed := mustPush(t, r, "private/app", "v1", mustRandomImage(t))
	ref := r.Ref("private/app", "v1")

	tests := []struct {
		name       string
		auth       authn.Authenticator
		wantStatus int // 0: pull succeeds
	}{
		{"no credentials", authn.Anonymous, http.StatusUnauthorized},
		{"wrong password", &authn.Basic{Username: cfg.Username, Password: cfg.Password + "x"}, http.StatusUnauthorized},
		{"wrong username", &authn.Basic{Username: "someone", Password: cfg.Password}, http.StatusUnauthorized},
		{"right credentials", &authn.Basic{Username: cfg.Username, Password: cfg.Password}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pull(t.Context(), newTransport(t), ref, tt.auth)
			if tt.wantStatus == 0 {
				if err != nil {
					t.Fatalf("pull: %v", err)
				}
				if got != pushed {
					t.Errorf("pulled digest %s, pushed %s", got, pushed)
				}
				return
			}
			if err == nil {
				t.Fatal("pull succeeded, want it refused")
			}
			if s := statusOf(err); s != tt.wantStatus {
				t.Errorf("pull error status %d (%v), want %d", s, err, tt.wantStatus)
			}
		})
	}
}

func TestAnonymousHTTP(t *testing.T) {
	r := mustStart(t, NewConfig())
	mustPush(t, r, "private/app", "v1", mustRandomImage(t))
	client := &http.Client{Transport: newTransport(t), Timeout: 10 * time.Second}
	get := func(t *testing.T, path string) (*http.Response, []byte) {
		t.Helper()
		resp, err := client.Get("http://" + r.Host() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}

	t.Run("/v2/ answers 200", func(t *testing.T) {
		if resp, body := get(t, "/v2/"); resp.StatusCode != http.StatusOK {
			t.Errorf("GET /v2/ = %d %s, want 200", resp.StatusCode, body)
		}
	})
	for _, path := range []string{"/v2/private/app/manifests/v1", "/v2/private/app/tags/list", "/v2/_catalog"} {
		t.Run(path+" answers 401", func(t *testing.T) {
			resp, body := get(t, path)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("GET %s = %d %s, want 401", path, resp.StatusCode, body)
			}
			if got, want := resp.Header.Get("WWW-Authenticate"), `Basic realm="node-e2e"`; got != want {
				t.Errorf("WWW-Authenticate = %q, want %q", got, want)
			}
			var e struct {
				Errors []struct{ Code, Message string } `json:"errors"`
			}
			if err := json.Unmarshal(body, &e); err != nil || len(e.Errors) != 1 || e.Errors[0].Code != "UNAUTHORIZED" {
				t.Errorf("body %s (%v), want a distribution-spec error with code UNAUTHORIZED", body, err)
			}
		})
	}
}

func TestPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := NewConfig()
	cfg.Address = ln.Addr().String()
	r := New(cfg)
	err = r.Start(t.Context())
	if err == nil {
		r.Stop()
		t.Fatalf("Start on taken %s succeeded", cfg.Address)
	}
	for _, want := range []string{cfg.Address, "address already in use", "--registry-port"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Start error %q does not mention %q", err, want)
		}
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("Start error %v is not EADDRINUSE", err)
	}
	if err := r.Stop(); err != nil {
		t.Errorf("Stop after a failed Start: %v", err)
	}
}

func TestStopIsIdempotentAndFreesThePort(t *testing.T) {
	if err := New(NewConfig()).Stop(); err != nil {
		t.Errorf("Stop without Start: %v", err)
	}
	r := New(NewConfig())
	if err := r.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	addr := r.Host()
	for i := range 2 {
		if err := r.Stop(); err != nil {
			t.Errorf("Stop #%d: %v", i+1, err)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen on %s after Stop: %v", addr, err)
	}
	ln.Close()
	if err := r.Start(t.Context()); err == nil {
		t.Error("Start after Stop succeeded, want an error")
	}
	select {
	case err := <-r.Err():
		t.Errorf("Err() after a clean Stop: %v", err)
	default:
	}
}

func TestStopIsBoundedWhenARequestHangs(t *testing.T) {
	cfg := NewConfig()
	cfg.ShutdownTimeout = 200 * time.Millisecond
	r := New(cfg)
	if err := r.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	// A request whose headers never end keeps its connection active.
	conn, err := net.Dial("tcp", r.Host())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /v2/ HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // let the server read the first bytes

	start := time.Now()
	if err := r.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Stop took %s with a %s shutdown timeout", d, cfg.ShutdownTimeout)
	}
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("read on the hanging connection after Stop: %v, want it closed", err)
	}
}

func TestStopLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	r := New(NewConfig())
	if err := r.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	d := mustPush(t, r, "private/app", "v1", mustRandomImage(t))
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	if _, err := pull(t.Context(), tr, r.Ref("private/app", "v1"), &authn.Basic{Username: r.cfg.Username, Password: r.cfg.Password}); err != nil {
		t.Fatalf("pull %s: %v", d, err)
	}
	tr.CloseIdleConnections()
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before Start, %d after Stop:\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}

func TestRequestLogNamesPathsNotCredentials(t *testing.T) {
	var logs syncBuffer
	cfg := NewConfig()
	cfg.LogWriter = &logs
	r := mustStart(t, cfg)
	mustPush(t, r, "private/app", "v1", mustRandomImage(t))
	tr := newTransport(t)
	if _, err := pull(t.Context(), tr, r.Ref("private/app", "v1"), authn.Anonymous); statusOf(err) != http.StatusUnauthorized {
		t.Fatalf("anonymous pull: %v, want 401", err)
	}
	if _, err := pull(t.Context(), tr, r.Ref("private/app", "v1"), &authn.Basic{Username: cfg.Username, Password: cfg.Password}); err != nil {
		t.Fatal(err)
	}

	out := logs.String()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m) GET /v2/private/app/manifests/v1 401 \d+B \S+$`),
		regexp.MustCompile(`(?m) GET /v2/private/app/manifests/v1 200 \d+B \S+$`),
		regexp.MustCompile(`(?m) PUT /v2/private/app/manifests/v1 201 \d+B \S+$`),
	} {
		if !want.MatchString(out) {
			t.Errorf("request log has no line matching %s:\n%s", want, out)
		}
	}
	basic := base64.StdEncoding.EncodeToString([]byte(cfg.Username + ":" + cfg.Password))
	for _, secret := range []string{cfg.Password, basic, "Authorization", "Basic "} {
		if strings.Contains(out, secret) {
			t.Errorf("request log contains %q:\n%s", secret, out)
		}
	}
}

// brokenImage fails when its layers are read.
type brokenImage struct{ v1.Image }

func (brokenImage) Layers() ([]v1.Layer, error) { return nil, errors.New("layers unavailable") }

func TestPushAll(t *testing.T) {
	r := mustStart(t, NewConfig())
	good := map[string]v1.Image{
		"library/a:v1": mustRandomImage(t),
		"library/b:v2": mustRandomImage(t),
		"private/c:v3": mustRandomImage(t),
	}
	digests, err := r.PushAll(t.Context(), good)
	if err != nil {
		t.Fatalf("PushAll: %v", err)
	}
	if len(digests) != len(good) {
		t.Errorf("PushAll returned %d digests for %d images: %v", len(digests), len(good), digests)
	}
	tr := newTransport(t)
	creds := &authn.Basic{Username: r.cfg.Username, Password: r.cfg.Password}
	for key, img := range good {
		want, _ := img.Digest()
		if digests[key] != want.String() {
			t.Errorf("PushAll digest of %s = %q, want %s", key, digests[key], want)
		}
		repo, tag, _ := splitRepoTag(key)
		got, err := pull(t.Context(), tr, r.Ref(repo, tag), creds)
		if err != nil || got != want.String() {
			t.Errorf("pull %s = %s, %v; want %s", key, got, err, want)
		}
	}

	tests := []struct {
		name   string
		images map[string]v1.Image
		want   string
	}{
		{"failing image", map[string]v1.Image{"library/a:v1": good["library/a:v1"], "library/broken:v1": brokenImage{good["library/b:v2"]}}, "library/broken:v1"},
		{"key without tag", map[string]v1.Image{"library/notag": good["library/a:v1"]}, `"library/notag": want repo:tag`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.PushAll(t.Context(), tt.images)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("PushAll error = %v, want one naming %s", err, tt.want)
			}
		})
	}
}

func TestPushBeforeStart(t *testing.T) {
	_, err := New(NewConfig()).Push(t.Context(), "library/a", "v1", mustRandomImage(t))
	if err == nil || !strings.Contains(err.Error(), "not started") {
		t.Errorf("Push before Start = %v, want a not-started error", err)
	}
}
