package registry

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// requestLog writes one line per request to out. Only the method, the
// escaped path, the status, the response size and the duration are written:
// never headers (Authorization) nor the query.
type requestLog struct {
	next http.Handler
	mu   sync.Mutex // serialises writes to out
	out  io.Writer
	now  func() time.Time
}

func newRequestLog(next http.Handler, out io.Writer) http.Handler {
	if out == nil {
		return next
	}
	return &requestLog{next: next, out: out, now: time.Now}
}

func (l *requestLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := l.now()
	rec := &recorder{ResponseWriter: w}
	l.next.ServeHTTP(rec, r)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	line := fmt.Sprintf("%s %s %s %d %dB %s\n", start.UTC().Format(time.RFC3339Nano),
		r.Method, r.URL.EscapedPath(), rec.status, rec.bytes, l.now().Sub(start).Round(time.Microsecond))
	l.mu.Lock()
	defer l.mu.Unlock()
	io.WriteString(l.out, line) // a failing log must not fail the request
}

// recorder remembers the status and counts the body bytes written.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
