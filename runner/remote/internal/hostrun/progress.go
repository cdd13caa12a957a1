package hostrun

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Progress prints one line per host per step as the steps finish, from
// any number of goroutines:
//
//	18:02:11 host-a   copy      ok       2.1s  91.0 MB
//	18:02:40 host-a   specs     3/64           1 failed
type Progress struct {
	mu    sync.Mutex
	w     io.Writer
	width int
	now   func() time.Time
}

// NewProgress returns a Progress writing to w, aligned for the given host
// names.
func NewProgress(w io.Writer, hosts ...string) *Progress {
	width := 8
	for _, h := range hosts {
		width = max(width, len(h))
	}
	return &Progress{w: w, width: width, now: time.Now}
}

// Step prints a step's outcome: status is "ok", "FAILED", "started",
// "skipped" or a count; d is printed when non-zero. Control characters
// and escape sequences are removed from every field (see Printable).
func (p *Progress) Step(host, step, status string, d time.Duration, detail string) {
	if p == nil {
		return
	}
	dur := ""
	if d > 0 {
		dur = FormatDuration(d)
	}
	// Host names, statuses and details may carry text from the host.
	line := fmt.Sprintf("%s %-*s %-9s %-7s %8s  %s", p.now().Format("15:04:05"), p.width, Printable(host), Printable(step), Printable(status), dur, Printable(detail))
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.w, strings.TrimRight(line, " "))
}

// FormatDuration rounds d for people: 0.4s, 12.3s, 4m05s, 1h02m.
func FormatDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		d = d.Round(time.Minute)
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}

// FormatSize renders n bytes as GB, MB, KB (powers of 1024) or B.
func FormatSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d B", n)
	}
}

// SpecCounter follows Ginkgo's verbose (-v) output and counts finished
// specs. Output in other modes just leaves the counts at zero.
type SpecCounter struct {
	// Total is the number of specs Ginkgo said it will run.
	Total int
	// Done and Failed count finished and failed specs.
	Done, Failed int
}

var willRun = regexp.MustCompile(`^Will run (\d+) of \d+ specs`)

// Line feeds one output line and reports whether it finished a spec.
func (c *SpecCounter) Line(line string) bool {
	line = strings.TrimSpace(line)
	if m := willRun.FindStringSubmatch(line); m != nil {
		c.Total, _ = strconv.Atoi(m[1])
		return false
	}
	switch {
	case strings.HasPrefix(line, "• ["):
		c.Done++
		for _, bad := range []string{"[FAILED]", "[PANICKED]", "[TIMEDOUT]", "[INTERRUPTED]", "[ABORTED]"} {
			if strings.HasPrefix(line[len("• "):], bad) {
				c.Failed++
				break
			}
		}
		return true
	case strings.HasPrefix(line, "S [SKIPPED]"), strings.HasPrefix(line, "P [PENDING]"):
		c.Done++
		return true
	}
	return false
}

// lineWriter splits what is written to it into lines for fn, and passes
// every byte on to w.
type lineWriter struct {
	w   io.Writer
	fn  func(string)
	buf []byte
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		l.fn(string(l.buf[:i]))
		l.buf = l.buf[i+1:]
	}
	if len(l.buf) > 64<<10 { // a very long line: no spec marker is that long
		l.buf = l.buf[:0]
	}
	return l.w.Write(p)
}
