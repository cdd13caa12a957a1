package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// shutdownGrace bounds how long a stopping server waits for requests in
// flight before it closes their connections.
const shutdownGrace = 2 * time.Second

// serveOptions are the flags of serve.
type serveOptions struct {
	port            int
	failHealthAfter time.Duration
	readinessDelay  time.Duration
}

func parseServeArgs(args []string, stderr io.Writer) (serveOptions, error) {
	var o serveOptions
	fs := newFlagSet("serve", "[--port=8080] [--fail-health-after=DURATION] [--readiness-delay=DURATION]", stderr)
	fs.IntVar(&o.port, "port", 8080, "TCP port to listen on, on all addresses (0: any free port, printed at start)")
	fs.DurationVar(&o.failHealthAfter, "fail-health-after", 0, "/healthz answers 500 once this long has passed since start (0: never)")
	fs.DurationVar(&o.readinessDelay, "readiness-delay", 0, "/readyz answers 503 until this long has passed since start")
	if err := parseFlags(fs, args); err != nil {
		return o, err
	}
	if err := checkPort(fs, o.port); err != nil {
		return o, err
	}
	if o.failHealthAfter < 0 || o.readinessDelay < 0 {
		return o, usageError(fs, "durations must not be negative")
	}
	return o, nil
}

func serveMain(args []string, stdout, stderr io.Writer) int {
	o, err := parseServeArgs(args, stderr)
	if err != nil {
		return usageStatus(err)
	}
	ctx, stop := signalContext()
	defer stop()
	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", o.port))
	if err != nil {
		fmt.Fprintf(stderr, "testimage serve: %v\n", err)
		return exitFailure
	}
	s := newServer(o, time.Now, stdout)
	s.log.Printf("serve: listening on %s", ln.Addr())
	if err := s.serve(ctx, ln); err != nil {
		fmt.Fprintf(stderr, "testimage serve: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// server is the state behind serve's endpoints.
type server struct {
	opts  serveOptions
	now   func() time.Time
	start time.Time
	// log writes one line per request to stdout; log.Logger serializes
	// the concurrent handlers' writes.
	log *log.Logger

	mu sync.Mutex
	// ready is the readiness /readyz/set chose; nil follows
	// opts.readinessDelay.
	ready *bool

	// shutdown is closed by the first /shutdown request.
	shutdown     chan struct{}
	shutdownOnce sync.Once
}

// newServer returns a server started now, that reads the time from now and
// logs to stdout.
func newServer(o serveOptions, now func() time.Time, stdout io.Writer) *server {
	return &server{
		opts:     o,
		now:      now,
		start:    now(),
		log:      log.New(stdout, "", 0),
		shutdown: make(chan struct{}),
	}
}

// serve answers on ln until ctx ends or /shutdown is requested, then shuts
// down gracefully, giving requests in flight shutdownGrace to finish.
func (s *server) serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s.handler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
		s.log.Printf("serve: %v, shutting down", context.Cause(ctx))
	case <-s.shutdown:
		s.log.Printf("serve: /shutdown requested, shutting down")
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve http: %w", err)
	}
	return nil
}

// handler returns the endpoints, each request logged first.
func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", s.healthz)
	mux.HandleFunc("/readyz", s.readyz)
	mux.HandleFunc("/readyz/set", s.setReady)
	mux.HandleFunc("/hostname", hostname)
	mux.HandleFunc("/env", env)
	mux.HandleFunc("/file", file)
	mux.HandleFunc("/exec", execCommand)
	mux.HandleFunc("/echo", echo)
	mux.HandleFunc("/shutdown", s.requestShutdown)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Printf("request method=%s path=%s query=%q remote=%s", r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.RemoteAddr)
		mux.ServeHTTP(w, r)
	})
}

// reply writes a plain-text response.
func reply(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	io.WriteString(w, body)
}

func (s *server) healthz(w http.ResponseWriter, _ *http.Request) {
	if after := s.opts.failHealthAfter; after > 0 && s.now().Sub(s.start) >= after {
		reply(w, http.StatusInternalServerError, fmt.Sprintf("unhealthy: failing since %v after start", after))
		return
	}
	reply(w, http.StatusOK, "ok")
}

// isReady reports the readiness /readyz answers with.
func (s *server) isReady() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ready != nil {
		return *s.ready
	}
	return s.now().Sub(s.start) >= s.opts.readinessDelay
}

func (s *server) readyz(w http.ResponseWriter, _ *http.Request) {
	if !s.isReady() {
		reply(w, http.StatusServiceUnavailable, "not ready")
		return
	}
	reply(w, http.StatusOK, "ready")
}

func (s *server) setReady(w http.ResponseWriter, r *http.Request) {
	ready, err := strconv.ParseBool(r.URL.Query().Get("ready"))
	if err != nil {
		reply(w, http.StatusBadRequest, "want ready=true or ready=false")
		return
	}
	s.mu.Lock()
	s.ready = &ready
	s.mu.Unlock()
	reply(w, http.StatusOK, fmt.Sprintf("ready=%t", ready))
}

func (s *server) requestShutdown(w http.ResponseWriter, _ *http.Request) {
	reply(w, http.StatusOK, "shutting down")
	s.shutdownOnce.Do(func() { close(s.shutdown) })
}

func hostname(w http.ResponseWriter, _ *http.Request) {
	h, err := os.Hostname()
	if err != nil {
		reply(w, http.StatusInternalServerError, err.Error())
		return
	}
	reply(w, http.StatusOK, h)
}

// env answers with the environment, one KEY=VALUE a line, sorted.
func env(w http.ResponseWriter, _ *http.Request) {
	vars := os.Environ()
	slices.Sort(vars)
	var b strings.Builder
	for _, v := range vars {
		b.WriteString(v)
		b.WriteByte('\n')
	}
	reply(w, http.StatusOK, b.String())
}

// file answers with the content of the file ?path= names.
func file(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Query().Get("path")
	if p == "" {
		reply(w, http.StatusBadRequest, "want ?path=FILE")
		return
	}
	data, err := os.ReadFile(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		reply(w, http.StatusNotFound, err.Error())
	case err != nil:
		reply(w, http.StatusInternalServerError, err.Error())
	default:
		reply(w, http.StatusOK, string(data))
	}
}

// execCommand runs ?cmd= with the ?arg= values as its arguments, without a
// shell, and answers with its combined output: 200 if it exited 0, 500
// otherwise.
func execCommand(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name := q.Get("cmd")
	if name == "" {
		reply(w, http.StatusBadRequest, "want ?cmd=BINARY[&arg=ARG...]")
		return
	}
	out, err := exec.CommandContext(r.Context(), name, q["arg"]...).CombinedOutput()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		reply(w, http.StatusInternalServerError, string(out))
	case err != nil:
		reply(w, http.StatusInternalServerError, string(out)+err.Error()+"\n")
	default:
		reply(w, http.StatusOK, string(out))
	}
}

func echo(w http.ResponseWriter, r *http.Request) {
	reply(w, http.StatusOK, r.URL.Query().Get("msg"))
}
