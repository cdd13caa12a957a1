package proc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultStopTimeout is how long Stop waits after SIGTERM before it kills
// the process group.
const DefaultStopTimeout = 15 * time.Second

// Process is one supervised child process.
type Process struct {
	// Name names the component in errors and logs, e.g. "kubelet".
	Name string
	// Path is the executable.
	Path string
	// Args are the arguments, without the executable.
	Args []string
	// Env, when non-nil, is the whole environment of the child.
	Env []string
	// LogPath receives the child's stdout and stderr (appended). Required.
	// The output passes through an AlarmWriter on its way there: a line
	// starting like a panic, a fatal runtime error or a data race report
	// is delivered on Err as an *Alarm.
	LogPath string
	// Detach, when true, leaves the child running if the harness exits (no
	// parent-death signal); used by --stop-services=false. A detached
	// child writes to its log itself (a pipe to the harness would break
	// when the harness exits), so its output is not scanned for alarms.
	Detach bool
	// StopTimeout bounds the wait after SIGTERM; DefaultStopTimeout when zero.
	StopTimeout time.Duration

	mu        sync.Mutex
	cmd       *exec.Cmd
	logFile   *os.File
	alarms    *AlarmWriter
	done      chan struct{}
	waitErr   error
	exit      string // how the process ended, once it has
	errCh     chan error
	sent      bool // errCh has had its one error
	closed    bool // errCh is closed
	alarm     *Alarm
	alarmTold bool // alarm was delivered on Err or returned by Stop
	stopped   bool
}

// Start launches the process. It returns once the process has been started;
// readiness is the caller's business (see Await).
func (p *Process) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return fmt.Errorf("%s: already started", p.Name)
	}
	if p.LogPath == "" {
		return fmt.Errorf("%s: no log path set", p.Name)
	}
	f, err := os.OpenFile(p.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("%s: open log: %w", p.Name, err)
	}
	cmd := exec.Command(p.Path, p.Args...)
	cmd.Env = p.Env
	cmd.Stdout, cmd.Stderr = f, f
	if !p.Detach {
		// One pipe for both, scanned line by line on its way to the log.
		p.alarms = NewAlarmWriter(f, p.Name, p.LogPath, p.onAlarm)
		cmd.Stdout, cmd.Stderr = p.alarms, p.alarms
		// Once the child has exited, its output ends when every
		// process holding the pipe has gone (the group is killed on
		// Stop); one that escaped the group cannot hold Wait longer.
		cmd.WaitDelay = 2 * time.Second
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if !p.Detach {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGTERM
	}
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("%s: start %s: %w", p.Name, p.Path, err)
	}
	p.cmd, p.logFile = cmd, f
	p.done = make(chan struct{})
	p.errCh = make(chan error, 1)
	go p.wait()
	return nil
}

func (p *Process) wait() {
	err := p.cmd.Wait()
	p.mu.Lock()
	p.exit = "exited"
	if err != nil {
		p.exit = err.Error()
	}
	p.mu.Unlock()
	if p.alarms != nil {
		_ = p.alarms.Close() // raises an alarm still collecting its lines
	}
	p.logFile.Close()
	p.mu.Lock()
	p.waitErr = err
	stopped := p.stopped
	p.mu.Unlock()
	close(p.done)
	exitErr := p.ExitError(err)
	p.mu.Lock()
	if !stopped {
		p.sendLocked(exitErr)
	}
	p.closed = true
	close(p.errCh)
	p.mu.Unlock()
}

// onAlarm takes the child's first alarm: delivered on Err while nobody
// has called Stop, returned by Stop otherwise.
func (p *Process) onAlarm(a *Alarm) {
	p.mu.Lock()
	if p.alarm != nil {
		p.mu.Unlock()
		return
	}
	a.Exit = p.exit
	p.alarm = a
	if !p.stopped && p.sendLocked(a) {
		p.alarmTold = true
	}
	p.mu.Unlock()
}

// sendLocked delivers err on Err unless an error was delivered already.
func (p *Process) sendLocked(err error) bool {
	if p.sent || p.closed {
		return false
	}
	p.sent = true
	p.errCh <- err // buffered: never blocks
	return true
}

// ExitError describes an unexpected exit of the process, with its command
// line and the tail of its log.
func (p *Process) ExitError(err error) error {
	state := "exited"
	if err != nil {
		state = err.Error()
	}
	return &ExitError{Name: p.Name, Command: p.CommandLine(), State: state, LogPath: p.LogPath, Tail: Tail(p.LogPath, 20)}
}

// ExitError reports a child that exited when it should not have.
type ExitError struct {
	Name, Command, State, LogPath, Tail string
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("%s exited unexpectedly (%s)\n  command: %s\n  log: %s\n%s", e.Name, e.State, e.Command, e.LogPath, Indent(e.Tail, "  | "))
}

// ExitSummary shortens an *ExitError in err to one line naming the
// process's log, for a message that shows that log's tail anyway; any other
// error is returned as it is.
func ExitSummary(err error) error {
	var ee *ExitError
	if errors.As(err, &ee) {
		return fmt.Errorf("%s %s (log %s)", ee.Name, ee.State, ee.LogPath)
	}
	return err
}

// CommandLine returns the command line for messages.
func (p *Process) CommandLine() string {
	return strings.Join(append([]string{p.Path}, p.Args...), " ")
}

// Pid returns the process id, or 0 before Start.
func (p *Process) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Err delivers one error: an *Alarm if the process's output shows a panic,
// a fatal runtime error or a data race (it may still run), or else an
// *ExitError if it exits without Stop being called. It is closed once the
// process has exited, and nil before Start.
func (p *Process) Err() <-chan error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.errCh
}

// Done is closed when the process has exited. It is nil before Start.
func (p *Process) Done() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done
}

// Exited reports whether the process has exited.
func (p *Process) Exited() bool {
	d := p.Done()
	if d == nil {
		return false
	}
	select {
	case <-d:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM to the process, waits up to StopTimeout for it to exit,
// then kills its whole process group. It blocks until the process has been
// reaped and the group is gone, is safe to call twice, and is a no-op before
// Start. It returns an error when the process could not be stopped, and
// the *Alarm of a process that printed one after Stop was called (a panic
// while it shut down), which Err no longer delivers.
func (p *Process) Stop() error {
	p.mu.Lock()
	if p.cmd == nil {
		p.mu.Unlock()
		return nil
	}
	p.stopped = true
	pid, done := p.cmd.Process.Pid, p.done
	p.mu.Unlock()

	timeout := p.StopTimeout
	if timeout == 0 {
		timeout = DefaultStopTimeout
	}
	select {
	case <-done:
	default:
		_ = syscall.Kill(pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(timeout):
		}
	}
	// The leader may be gone while others of its group live on.
	err := KillGroup(context.Background(), pid, p.Name, done)
	p.mu.Lock()
	a, told := p.alarm, p.alarmTold
	p.alarmTold = true
	p.mu.Unlock()
	if a != nil && !told {
		return errors.Join(err, a)
	}
	return err
}

// KillGroup kills process group pgid with SIGKILL and waits until no member
// is left (and done, if non-nil, is closed).
func KillGroup(ctx context.Context, pgid int, name string, done <-chan struct{}) error {
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := Await(ctx, 20*time.Millisecond, func() (bool, error) {
		if done != nil {
			select {
			case <-done:
			default:
				return false, nil
			}
		}
		return syscall.Kill(-pgid, 0) == syscall.ESRCH, nil
	})
	if err != nil {
		return fmt.Errorf("%s: process group %d still alive after SIGKILL: %w", name, pgid, err)
	}
	return nil
}
