package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeClock is a settable time source for a server.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// get sends a GET for target to h and returns the status and body.
func get(h http.Handler, target string) (int, string) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec.Code, rec.Body.String()
}

// step is one request to a server, made after the clock has advanced.
type step struct {
	advance  time.Duration
	target   string
	wantCode int
	wantBody string
}

func TestServeProbes(t *testing.T) {
	cases := []struct {
		desc  string
		opts  serveOptions
		steps []step
	}{
		{"healthy and ready", serveOptions{}, []step{
			{0, "/healthz", 200, "ok"},
			{time.Hour, "/healthz", 200, "ok"},
			{0, "/readyz", 200, "ready"},
		}},
		{"health fails after", serveOptions{failHealthAfter: 10 * time.Second}, []step{
			{0, "/healthz", 200, "ok"},
			{9 * time.Second, "/healthz", 200, "ok"},
			{time.Second, "/healthz", 500, "unhealthy: failing since 10s after start"},
			{0, "/readyz", 200, "ready"},
		}},
		{"readiness delay", serveOptions{readinessDelay: 5 * time.Second}, []step{
			{0, "/readyz", 503, "not ready"},
			{0, "/healthz", 200, "ok"},
			{5 * time.Second, "/readyz", 200, "ready"},
		}},
		{"readiness toggled", serveOptions{}, []step{
			{0, "/readyz/set?ready=false", 200, "ready=false"},
			{0, "/readyz", 503, "not ready"},
			{0, "/healthz", 200, "ok"},
			{0, "/readyz/set?ready=true", 200, "ready=true"},
			{0, "/readyz", 200, "ready"},
			{0, "/readyz/set?ready=maybe", 400, "want ready=true or ready=false"},
			{0, "/readyz", 200, "ready"},
		}},
		{"set wins over the delay", serveOptions{readinessDelay: time.Hour}, []step{
			{0, "/readyz/set?ready=true", 200, "ready=true"},
			{0, "/readyz", 200, "ready"},
		}},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			clock := &fakeClock{t: time.Unix(1000, 0)}
			h := newServer(c.opts, clock.now, io.Discard).handler()
			for i, s := range c.steps {
				clock.t = clock.t.Add(s.advance)
				if code, body := get(h, s.target); code != s.wantCode || body != s.wantBody {
					t.Errorf("step %d: GET %s = %d %q, want %d %q", i, s.target, code, body, s.wantCode, s.wantBody)
				}
			}
		})
	}
}

func TestServeEndpoints(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("TESTIMAGE_TEST_VAR", "a value")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("file content\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	echoBin, err := exec.LookPath("echo")
	if err != nil {
		t.Skip("no echo binary")
	}
	catBin, err := exec.LookPath("cat")
	if err != nil {
		t.Skip("no cat binary")
	}
	cases := []struct {
		target   string
		wantCode int
		wantBody string // substring
	}{
		{"/hostname", 200, host},
		{"/env", 200, "TESTIMAGE_TEST_VAR=a value\n"},
		{"/file?path=" + filepath.Join(dir, "f"), 200, "file content\n"},
		{"/file?path=" + filepath.Join(dir, "missing"), 404, "no such file or directory"},
		{"/file?path=" + dir, 500, "is a directory"},
		{"/file", 400, "want ?path=FILE"},
		{"/exec?cmd=" + echoBin + "&arg=a+b&arg=c", 200, "a b c\n"},
		// No shell: the argument reaches echo as it is.
		{"/exec?cmd=" + echoBin + "&arg=%24%28id%29%3Bx", 200, "$(id);x\n"},
		{"/exec?cmd=" + catBin + "&arg=" + filepath.Join(dir, "missing"), 500, "No such file or directory"},
		{"/exec?cmd=" + filepath.Join(dir, "no-binary"), 500, "no such file or directory"},
		{"/exec", 400, "want ?cmd="},
		{"/echo?msg=hello+there", 200, "hello there"},
		{"/echo", 200, ""},
		{"/nowhere", 404, "404 page not found"},
	}
	h := newServer(serveOptions{}, time.Now, io.Discard).handler()
	for _, c := range cases {
		code, body := get(h, c.target)
		if code != c.wantCode || !strings.Contains(body, c.wantBody) {
			t.Errorf("GET %s = %d %q, want %d with %q", c.target, code, body, c.wantCode, c.wantBody)
		}
	}
	if _, body := get(h, "/hostname"); body != host {
		t.Errorf("/hostname = %q, want exactly %q", body, host)
	}
	if _, body := get(h, "/echo?msg=x"); body != "x" {
		t.Errorf("/echo?msg=x = %q, want exactly x", body)
	}
	_, body := get(h, "/env")
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	if !slices.IsSorted(lines) {
		t.Errorf("/env is not sorted:\n%s", body)
	}
}

func TestServeLogsRequests(t *testing.T) {
	var out bytes.Buffer
	h := newServer(serveOptions{}, time.Now, &out).handler()
	get(h, "/echo?msg=hi")
	get(h, "/healthz")
	get(h, "/nowhere")
	want := []string{
		`request method=GET path=/echo query="msg=hi" remote=192.0.2.1:1234`,
		`request method=GET path=/healthz query="" remote=192.0.2.1:1234`,
		`request method=GET path=/nowhere query="" remote=192.0.2.1:1234`,
	}
	if got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n"); !slices.Equal(got, want) {
		t.Errorf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// startServe runs s.serve on 127.0.0.1:0 and returns its base URL and a
// channel with serve's result.
func startServe(t *testing.T, ctx context.Context, s *server) (string, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.serve(ctx, ln) }()
	return "http://" + ln.Addr().String(), done
}

// awaitDone returns serve's result, failing t if it takes more than 5s.
func awaitDone(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("server did not stop within 5s")
		return nil
	}
}

func TestServeShutdownEndpoint(t *testing.T) {
	s := newServer(serveOptions{}, time.Now, io.Discard)
	base, done := startServe(t, context.Background(), s)
	resp, err := http.Get(base + "/shutdown")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "shutting down" {
		t.Errorf("/shutdown = %d %q, want 200 shutting down", resp.StatusCode, body)
	}
	if err := awaitDone(t, done); err != nil {
		t.Errorf("serve after /shutdown: %v, want nil (exit 0)", err)
	}
}

func TestServeStopsOnSignal(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := newServer(serveOptions{}, time.Now, io.Discard)
	base, done := startServe(t, ctx, s)
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// A request in flight (a slow exec) must not hold the exit for long.
	sleepBin, err := exec.LookPath("sleep")
	if err == nil {
		go http.Get(base + "/exec?cmd=" + sleepBin + "&arg=60")
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	start := time.Now()
	if err := awaitDone(t, done); err != nil {
		t.Errorf("serve after SIGTERM: %v, want nil (exit 0)", err)
	}
	if d := time.Since(start); d > shutdownGrace+time.Second {
		t.Errorf("serve took %v to stop, want at most %v", d, shutdownGrace)
	}
}
