package bench

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Line is one line a launched process wrote, with when it arrived.
type Line struct {
	T    time.Time
	Text string
}

// Proc is a process the benchmark launched: in its own process group,
// sent SIGTERM should the benchmark die (so it tears down), its stdout and
// stderr captured line by line with their arrival times and copied to a
// log file.
type Proc struct {
	Cmd   *exec.Cmd
	Start time.Time

	mu     sync.Mutex
	lines  []Line
	notify chan struct{}
	log    *os.File
	wg     sync.WaitGroup
	exited chan struct{}
	err    error
	end    time.Time
}

// Launch starts argv with env added to the benchmark's environment, in
// dir, logging its output to logPath. Start is taken just before the
// process is created.
func Launch(argv []string, dir string, env []string, logPath string) (*Proc, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("bench: create %s: %w", logPath, err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		log.Close()
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		log.Close()
		return nil, err
	}
	p := &Proc{Cmd: cmd, notify: make(chan struct{}), log: log, exited: make(chan struct{})}
	fmt.Fprintf(log, "# %s\n", strings.Join(argv, " "))
	p.Start = time.Now()
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("bench: start %s: %w", argv[0], err)
	}
	p.wg.Add(2)
	go p.read(stdout)
	go p.read(stderr)
	go func() {
		p.wg.Wait() // the pipes first: Wait closes them
		err := cmd.Wait()
		p.mu.Lock()
		p.err, p.end = err, time.Now()
		p.mu.Unlock()
		log.Close()
		close(p.exited)
	}()
	return p, nil
}

func (p *Proc) read(r io.Reader) {
	defer p.wg.Done()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	for sc.Scan() {
		l := Line{T: time.Now(), Text: sc.Text()}
		p.mu.Lock()
		p.lines = append(p.lines, l)
		fmt.Fprintf(p.log, "%s %s\n", l.T.UTC().Format("15:04:05.000000"), l.Text)
		close(p.notify)
		p.notify = make(chan struct{})
		p.mu.Unlock()
	}
}

// Lines returns the lines that arrived at or after since.
func (p *Proc) Lines(since time.Time) []Line {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Line
	for _, l := range p.lines {
		if !l.T.Before(since) {
			out = append(out, l)
		}
	}
	return out
}

// Output is everything the process wrote so far.
func (p *Proc) Output() string {
	var b strings.Builder
	for _, l := range p.Lines(time.Time{}) {
		b.WriteString(l.Text)
		b.WriteByte('\n')
	}
	return b.String()
}

// AwaitLine waits until a line matching re arrives and returns it with
// its submatches; it fails when the process exits first or ctx ends.
func (p *Proc) AwaitLine(ctx context.Context, re *regexp.Regexp) (Line, []string, error) {
	seen := 0
	for {
		p.mu.Lock()
		lines, notify := p.lines[seen:], p.notify
		seen = len(p.lines)
		p.mu.Unlock()
		for _, l := range lines {
			if m := re.FindStringSubmatch(l.Text); m != nil {
				return l, m, nil
			}
		}
		select {
		case <-notify:
		case <-p.exited:
			// The last lines may have come with the exit.
			p.mu.Lock()
			rest := p.lines[seen:]
			p.mu.Unlock()
			for _, l := range rest {
				if m := re.FindStringSubmatch(l.Text); m != nil {
					return l, m, nil
				}
			}
			return Line{}, nil, fmt.Errorf("bench: %s exited (%v) before printing %q", p.Cmd.Path, p.err, re)
		case <-ctx.Done():
			return Line{}, nil, fmt.Errorf("bench: waiting for %q from %s: %w", re, p.Cmd.Path, ctx.Err())
		}
	}
}

// Exited is closed once the process has exited.
func (p *Proc) Exited() <-chan struct{} { return p.exited }

// Wait waits for the process to exit and returns its error and end time.
func (p *Proc) Wait() (time.Time, error) {
	<-p.exited
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.end, p.err
}

// Terminate sends SIGTERM to the process and waits up to grace for it to
// exit; then it kills the whole process group. It returns when SIGTERM was
// sent, when the process exited, and how many processes were left
// behind: of the process tree as it was at SIGTERM, and of the process
// group, those still alive once it exited (they are killed).
func (p *Proc) Terminate(grace time.Duration) (sent, end time.Time, leftovers int, err error) {
	before := Tree(ReadProcs(), p.Cmd.Process.Pid)
	sent = time.Now()
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(grace):
		err = fmt.Errorf("bench: %s did not exit within %s of SIGTERM: killed", p.Cmd.Path, grace)
		_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGKILL)
	}
	end, werr := p.Wait()
	var exitErr *exec.ExitError
	if werr != nil && err == nil && !(errors.As(werr, &exitErr) && exitErr.Success()) {
		err = fmt.Errorf("bench: %s: %w", p.Cmd.Path, werr)
	}
	return sent, end, p.killLeftovers(before), err
}

// killLeftovers kills, and counts, the processes of before (other than
// the launched one) that are still alive, and what is left of the
// process group.
func (p *Proc) killLeftovers(before []ProcInfo) int {
	now := ReadProcs()
	n := 0
	for _, q := range before {
		if q.PID == p.Cmd.Process.Pid {
			continue
		}
		if cur, ok := now[q.PID]; ok && cur.Cmdline == q.Cmdline && cur.Cmdline != "" {
			n++
			_ = syscall.Kill(q.PID, syscall.SIGKILL)
		}
	}
	return n + p.KillGroup()
}

// KillGroup kills what is left of the process group and returns how many
// processes were in it.
func (p *Proc) KillGroup() int {
	pgid := p.Cmd.Process.Pid
	n := 0
	for _, q := range ReadProcs() {
		if pg, err := syscall.Getpgid(q.PID); err == nil && pg == pgid && q.Cmdline != "" {
			n++
		}
	}
	if n > 0 {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
	return n
}

// AwaitReadyz polls url+"/readyz" with the bearer token every interval
// (each poll starts at most interval after the previous one started)
// until it answers 200, and returns when it did. TLS is not verified:
// this is a benchmark of readiness, on loopback.
func AwaitReadyz(ctx context.Context, url, token string, interval time.Duration) (time.Time, error) {
	client := &http.Client{
		Timeout:   time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, //nolint:gosec // loopback benchmark
	}
	defer client.CloseIdleConnections()
	t := time.NewTicker(interval)
	defer t.Stop()
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/readyz", nil)
		if err != nil {
			return time.Time{}, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Now(), nil
			}
			last = fmt.Errorf("%s/readyz: %s", url, resp.Status)
		} else {
			last = err
		}
		select {
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("bench: %s/readyz not ready (%v): %w", url, last, ctx.Err())
		case <-t.C:
		}
	}
}
