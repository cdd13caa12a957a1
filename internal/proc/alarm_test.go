package proc

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAlarmKind(t *testing.T) {
	cases := []struct{ line, want string }{
		{"panic: injected", "a panic"},
		{"panic: runtime error: invalid memory address or nil pointer dereference [recovered]", "a panic"},
		{"fatal error: concurrent map writes", "a fatal error"},
		{"WARNING: DATA RACE", "a data race"},
		// Log lines carry their own header: a message about a panic is
		// not one.
		{`E1130 01:02:03.456789  1234 runtime.go:79] "Observed a panic" panic="boom"`, ""},
		{`time="2026-11-30T01:02:03Z" level=error msg="panic: in a message"`, ""},
		{"  panic: indented, as a quoted log excerpt", ""},
		{"goroutine 1 [running]:", ""},
		{"", ""},
	}
	for _, c := range cases {
		if got := AlarmKind(c.line); got != c.want {
			t.Errorf("AlarmKind(%q) = %q, want %q", c.line, got, c.want)
		}
	}
}

// alarms records what an AlarmWriter raises.
type alarms struct {
	mu  sync.Mutex
	got []*Alarm
}

func (r *alarms) raise(a *Alarm) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, a)
}

func (r *alarms) list() []*Alarm {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*Alarm(nil), r.got...)
}

func TestAlarmWriter(t *testing.T) {
	trace := "panic: injected\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/main.go:5 +0x25\nexit status 2\n"
	cases := []struct {
		name   string
		writes []string // written in this order, then Close
		kind   string   // "" for no alarm
		lines  []string // the alarm's quote
		match  int
	}{
		{
			name:   "clean output",
			writes: []string{"I1130 starting\n", "I1130 serving\n"},
		},
		{
			name:   "panic with its trace",
			writes: []string{"a\nb\nc\nd\n", trace},
			kind:   "a panic",
			lines:  []string{"b", "c", "d", "panic: injected", "", "goroutine 1 [running]:", "main.main()", "\t/src/main.go:5 +0x25", "exit status 2"},
			match:  3,
		},
		{
			name:   "split across writes",
			writes: []string{"one\nfat", "al error: concurrent ", "map writes\n", "\ngoroutine 7 [running]:\n"},
			kind:   "a fatal error",
			lines:  []string{"one", "fatal error: concurrent map writes", "", "goroutine 7 [running]:"},
			match:  1,
		},
		{
			name:   "last line without a newline",
			writes: []string{"x\n", "WARNING: DATA RACE"},
			kind:   "a data race",
			lines:  []string{"x", "WARNING: DATA RACE"},
			match:  1,
		},
		{
			name:   "carriage returns",
			writes: []string{"panic: boom\r\n"},
			kind:   "a panic",
			lines:  []string{"panic: boom"},
		},
		{
			name:   "only the first alarm",
			writes: []string{"panic: first\n", strings.Repeat("frame\n", alarmAfter), "panic: second\n"},
			kind:   "a panic",
			// lines: the first one and alarmAfter frames, set below
		},
		{
			name:   "a long line is cut",
			writes: []string{"panic: " + strings.Repeat("x", 2*maxAlarmLine) + "\n"},
			kind:   "a panic",
			lines:  []string{"panic: " + strings.Repeat("x", maxAlarmLine-len("panic: ")) + " [...]"},
		},
		{
			name:   "the matching line must start the line",
			writes: []string{"I1130 log says panic: nothing\n", "  fatal error: quoted\n"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "only the first alarm" {
				c.lines = []string{"panic: first"}
				for range alarmAfter {
					c.lines = append(c.lines, "frame")
				}
			}
			var log bytes.Buffer
			var r alarms
			w := NewAlarmWriter(&log, "kubelet", "/logs/kubelet.log", r.raise)
			var all string
			for _, s := range c.writes {
				n, err := w.Write([]byte(s))
				if n != len(s) || err != nil {
					t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(s))
				}
				all += s
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if log.String() != all {
				t.Errorf("the log holds %q, want everything written, %q", log.String(), all)
			}
			got := r.list()
			if c.kind == "" {
				if len(got) != 0 {
					t.Fatalf("raised %v, want no alarm", got[0])
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("raised %d alarms, want 1", len(got))
			}
			a := got[0]
			if a.Kind != c.kind || a.Name != "kubelet" || a.LogPath != "/logs/kubelet.log" || a.Match != c.match || strings.Join(a.Lines, "\n") != strings.Join(c.lines, "\n") {
				t.Errorf("alarm = %+v\nwant kind %q, match %d, lines %q", *a, c.kind, c.match, c.lines)
			}
		})
	}
}

func TestAlarmWriterRaisesWithoutWaitingForMoreLines(t *testing.T) {
	var r alarms
	w := NewAlarmWriter(&bytes.Buffer{}, "containerd", "c.log", r.raise)
	defer w.Close()
	_, _ = w.Write([]byte("WARNING: DATA RACE\nWrite at 0x00c000 by goroutine 7:\n"))
	deadline := time.Now().Add(5 * time.Second)
	for len(r.list()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("an alarm whose output stopped was never raised")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := r.list()[0].Lines; len(got) != 2 {
		t.Errorf("quoted %q, want the two lines written", got)
	}
}

func TestAlarmError(t *testing.T) {
	a := &Alarm{Name: "kubelet", Kind: "a panic", LogPath: "/r/kubelet.log", Lines: []string{"I1130 before", "panic: injected", "goroutine 1 [running]:"}, Match: 1, Exit: "exit status 2"}
	want := "kubelet printed a panic and exited (exit status 2): \"panic: injected\"\n  log: /r/kubelet.log\n  | I1130 before\n  > panic: injected\n  | goroutine 1 [running]:"
	if got := a.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
	if !IsAlarm(errors.Join(errors.New("x"), a)) || IsAlarm(errors.New("panic: no")) {
		t.Error("IsAlarm does not find exactly the wrapped Alarm")
	}
}

// The process tests run a real shell: its output reaches the log whole,
// and an alarm line arrives on Err naming the process and quoting it.
func TestProcessAlarmOnErr(t *testing.T) {
	cases := []struct {
		name, script string
		kind         string // "" wants an *ExitError
		running      bool   // the process still runs when the alarm comes
	}{
		{"panic then exit", `echo starting; echo "panic: injected" >&2; echo "goroutine 1 [running]:" >&2; exit 2`, "a panic", false},
		{"race report, still running", `echo "WARNING: DATA RACE"; echo "Read at 0x1 by goroutine 8:"; exec sleep 300`, "a data race", true},
		{"clean exit", `echo fine; exit 3`, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			log := filepath.Join(t.TempDir(), "child.log")
			p := &Process{Name: "child", Path: "/bin/sh", Args: []string{"-c", c.script}, LogPath: log, StopTimeout: time.Second}
			if err := p.Start(); err != nil {
				t.Fatal(err)
			}
			defer p.Stop()
			var err error
			select {
			case err = <-p.Err():
			case <-time.After(10 * time.Second):
				t.Fatal("nothing on Err")
			}
			var a *Alarm
			if c.kind == "" {
				var ee *ExitError
				if !errors.As(err, &ee) || IsAlarm(err) {
					t.Fatalf("Err gave %v, want an *ExitError", err)
				}
				return
			}
			if !errors.As(err, &a) {
				t.Fatalf("Err gave %v, want an *Alarm", err)
			}
			if a.Kind != c.kind || a.Name != "child" || a.LogPath != log || !strings.Contains(err.Error(), "> "+a.Line()) {
				t.Errorf("alarm %q", err)
			}
			if c.running && a.Exit != "" || !c.running && a.Exit != "exit status 2" {
				t.Errorf("alarm says the process ended with %q", a.Exit)
			}
			if err := p.Stop(); err != nil {
				t.Errorf("Stop after the alarm was delivered: %v, want nil", err)
			}
			b, _ := os.ReadFile(log)
			if !strings.Contains(string(b), a.Line()+"\n") {
				t.Errorf("the log lacks the alarm line:\n%s", b)
			}
		})
	}
}

func TestProcessAlarmAfterStopIsReturnedByStop(t *testing.T) {
	log := filepath.Join(t.TempDir(), "child.log")
	// The child panics as it shuts down.
	p := &Process{Name: "child", Path: "/bin/sh", Args: []string{"-c", `trap 'echo "panic: on the way out" >&2; exit 2' TERM; echo up; while :; do sleep 0.05; done`}, LogPath: log, StopTimeout: 5 * time.Second}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if b, _ := os.ReadFile(log); strings.Contains(string(b), "up") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("child never started")
		}
	}
	err := p.Stop()
	if !IsAlarm(err) || !strings.Contains(err.Error(), "panic: on the way out") {
		t.Fatalf("Stop = %v, want the alarm", err)
	}
	if err := p.Stop(); err != nil {
		t.Errorf("second Stop = %v, want nil (the alarm was told once)", err)
	}
	if err, ok := <-p.Err(); ok {
		t.Errorf("Err delivered %v after Stop", err)
	}
}

func TestDetachedProcessWritesItsLogItself(t *testing.T) {
	log := filepath.Join(t.TempDir(), "child.log")
	p := &Process{Name: "child", Path: "/bin/sh", Args: []string{"-c", `echo "panic: not scanned"; exit 1`}, LogPath: log, Detach: true}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	err := <-p.Err()
	if IsAlarm(err) {
		t.Fatalf("a detached child's output was scanned: %v", err)
	}
	if b, _ := os.ReadFile(log); string(b) != "panic: not scanned\n" {
		t.Errorf("log = %q", b)
	}
}
