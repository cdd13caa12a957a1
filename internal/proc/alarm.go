package proc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// alarmPrefixes are the starts of the lines that say a Go program went
// wrong, as its runtime prints them, at the start of a line: a panic (also
// one recovered and raised again), a fatal runtime error (concurrent map
// writes, out of memory, a signal in runtime code) and a race detector
// report. Log lines (klog, logrus, zap) start with their own header, so a
// logged message that mentions a panic does not match.
var alarmPrefixes = []struct{ prefix, kind string }{
	{"panic:", "a panic"},
	{"fatal error:", "a fatal error"},
	{"WARNING: DATA RACE", "a data race"},
}

const (
	// alarmBefore and alarmAfter are how many lines around the matching
	// one an Alarm quotes: after a panic come the goroutine and its
	// first frames, after a race report the two accesses.
	alarmBefore = 3
	alarmAfter  = 8
	// alarmWait is how long an alarm waits for its following lines
	// before it is raised with those it has.
	alarmWait = 500 * time.Millisecond
	// maxAlarmLine bounds the part of a line kept (for matching and
	// quoting); the rest of a longer line is dropped.
	maxAlarmLine = 512
)

// Alarm is a line in a child's output saying that the child went wrong,
// even if it lives on: a panic, a fatal runtime error or a data race.
type Alarm struct {
	// Name names the component, e.g. "kubelet".
	Name string
	// Kind says what the line reports: "a panic", "a fatal error", "a data race".
	Kind string
	// LogPath is the log holding the whole output.
	LogPath string
	// Lines quotes the output around the matching line, Lines[Match].
	Lines []string
	Match int
	// Exit, when set, is how the process ended before the alarm was raised.
	Exit string
}

// Line is the matching line.
func (a *Alarm) Line() string { return a.Lines[a.Match] }

func (a *Alarm) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s printed %s", a.Name, a.Kind)
	if a.Exit != "" {
		fmt.Fprintf(&b, " and exited (%s)", a.Exit)
	}
	fmt.Fprintf(&b, ": %q\n  log: %s", a.Line(), a.LogPath)
	for i, l := range a.Lines {
		mark := "  | "
		if i == a.Match {
			mark = "  > "
		}
		b.WriteString("\n" + mark + l)
	}
	return b.String()
}

// AlarmWriter passes a child's output on to its log and raises an Alarm,
// once, for the first line that starts like a panic, a fatal runtime error
// or a data race report. It reads each line once, as it is written; it
// never fails a write, so the child never sees its output break.
type AlarmWriter struct {
	dst   io.Writer
	name  string
	log   string
	raise func(*Alarm)

	mu      sync.Mutex
	partial []byte   // the start of a line not ended yet (at most maxAlarmLine)
	long    bool     // the current line was longer than maxAlarmLine
	recent  []string // the last alarmBefore lines
	pending *Alarm   // the alarm collecting its following lines
	timer   *time.Timer
	raised  bool
}

// NewAlarmWriter returns an AlarmWriter that writes to dst and calls raise
// with the first Alarm seen in the output of the component name, whose
// log is logPath. raise may be called from another goroutine after Write
// returns, and is never called after Close returns.
func NewAlarmWriter(dst io.Writer, name, logPath string, raise func(*Alarm)) *AlarmWriter {
	return &AlarmWriter{dst: dst, name: name, log: logPath, raise: raise}
}

// Write writes p to the destination and scans it. It always returns
// len(p), nil: a destination error (a full disk) loses output, as it would
// for a child writing to the file itself, but does not stop the child.
func (w *AlarmWriter) Write(p []byte) (int, error) {
	_, _ = w.dst.Write(p)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.raised {
		return len(p), nil
	}
	rest := p
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		chunk := rest
		if i >= 0 {
			chunk = rest[:i]
		}
		if room := maxAlarmLine - len(w.partial); len(chunk) > room {
			chunk, w.long = chunk[:room], true
		}
		w.partial = append(w.partial, chunk...)
		if i < 0 {
			break
		}
		w.line(strings.TrimSuffix(string(w.partial), "\r"))
		w.partial, w.long = w.partial[:0], false
		rest = rest[i+1:]
		if w.raised {
			break
		}
	}
	return len(p), nil
}

// line takes one whole line of output.
func (w *AlarmWriter) line(l string) {
	if w.long {
		l += " [...]"
	}
	if a := w.pending; a != nil {
		a.Lines = append(a.Lines, l)
		if len(a.Lines)-a.Match > alarmAfter {
			w.raiseLocked()
		}
		return
	}
	if kind := AlarmKind(l); kind != "" {
		lines := append(append([]string{}, w.recent...), l)
		w.pending = &Alarm{Name: w.name, Kind: kind, LogPath: w.log, Lines: lines, Match: len(lines) - 1}
		w.timer = time.AfterFunc(alarmWait, w.flush)
		return
	}
	w.recent = append(w.recent, l)
	if len(w.recent) > alarmBefore {
		w.recent = w.recent[1:]
	}
}

// flush raises the pending alarm with the lines it has.
func (w *AlarmWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.raiseLocked()
}

func (w *AlarmWriter) raiseLocked() {
	if w.pending == nil || w.raised {
		return
	}
	if w.timer != nil {
		w.timer.Stop()
	}
	a := w.pending
	w.pending, w.raised = nil, true
	w.raise(a)
}

// Close takes an unended last line and raises a pending alarm now: call
// it once the child's output has ended. It does not close the destination.
func (w *AlarmWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) > 0 && !w.raised {
		w.line(string(w.partial))
		w.partial = nil
	}
	w.raiseLocked()
	w.raised = true
	return nil
}

// AlarmKind says what line reports ("a panic", "a fatal error", "a data
// race"), or "" when it is not an alarm line.
func AlarmKind(line string) string {
	for _, p := range alarmPrefixes {
		if strings.HasPrefix(line, p.prefix) {
			return p.kind
		}
	}
	return ""
}

// IsAlarm reports whether err is, or wraps, an Alarm.
func IsAlarm(err error) bool {
	var a *Alarm
	return errors.As(err, &a)
}
