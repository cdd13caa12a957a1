package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"github.com/node-e2e/harness/internal/proc"
)

// cloneFlags are the namespaces the second stage is started in. The cgroup
// namespace comes later: the second stage creates it once Boot has moved it
// into the sandbox's cgroups.
const cloneFlags = syscall.CLONE_NEWPID | syscall.CLONE_NEWNS | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC | syscall.CLONE_NEWNET

// Bounds of the teardown steps that do not depend on the configuration.
const (
	killTimeout    = 10 * time.Second
	cgroupTimeout  = 10 * time.Second
	consoleDrain   = time.Second
	pollInterval   = 50 * time.Millisecond
	consoleLines   = 40
	commandTimeout = 5 * time.Second
)

// Sandbox is a booted sandbox. Its methods are safe for concurrent use.
type Sandbox struct {
	cfg     Config
	log     logr.Logger
	nsenter string
	cgroups []string // created by Boot, removed by Stop
	con     *console
	cmd     *exec.Cmd
	pid     int

	bootTime time.Duration
	done     chan struct{} // closed when PID 1 has been reaped
	waitErr  error         // PID 1's exit, set before done is closed
	errCh    chan error

	mu           sync.Mutex
	stopping     bool
	stopOnce     sync.Once
	stopErr      error
	shutdownTime time.Duration
}

// Boot starts a sandbox and returns once `systemctl is-system-running`
// inside answers running or degraded, or fails: then it has torn down what
// it started, and its error carries the tail of PID 1's console. ctx bounds
// the boot only (together with cfg.BootTimeout); the sandbox lives until
// Stop. The logger is taken from ctx (logr.FromContextOrDiscard).
func Boot(ctx context.Context, cfg Config) (*Sandbox, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	host, err := inspectHost(cfg)
	if err != nil {
		return nil, fmt.Errorf("sandbox %s: %w", cfg.Name, err)
	}
	s := &Sandbox{
		cfg:     cfg,
		log:     logr.FromContextOrDiscard(ctx).WithName("sandbox").WithValues("name", cfg.Name),
		nsenter: host.nsenter,
		done:    make(chan struct{}),
		errCh:   make(chan error, 1),
	}
	start := time.Now()
	if err := s.launch(host); err != nil {
		return nil, s.bootFailed(fmt.Errorf("launch: %w", err))
	}
	bctx, cancel := context.WithTimeout(ctx, cfg.BootTimeout)
	defer cancel()
	if err := s.awaitRunning(bctx); err != nil {
		return nil, s.bootFailed(err)
	}
	if err := s.setUpNetwork(bctx); err != nil {
		return nil, s.bootFailed(err)
	}
	s.bootTime = time.Since(start)
	s.log.V(1).Info("sandbox is up", "pid", s.pid, "bootTime", s.bootTime)
	return s, nil
}

// bootFailed tears the sandbox down and returns err with the console's tail
// and any teardown error.
func (s *Sandbox) bootFailed(err error) error {
	stopErr := s.Stop()
	tail := "(no console)"
	if s.con != nil {
		tail = s.con.Tail(consoleLines)
	}
	err = fmt.Errorf("sandbox %s: boot: %w\n  PID 1 console (last %d lines):\n%s", s.cfg.Name, err, consoleLines, proc.Indent(tail, "  | "))
	return errors.Join(err, stopErr)
}

// launch creates the cgroups and the console, starts the second stage in
// new namespaces, moves it into the cgroups and sends it the plan.
func (s *Sandbox) launch(host hostInfo) error {
	machineID, err := newMachineID()
	if err != nil {
		return err
	}
	s.cgroups, err = createCgroups(host.cgroups)
	if err != nil {
		return err
	}
	if s.con, err = openConsole(s.cfg.ConsoleLog); err != nil {
		return err
	}
	plan := stage2Plan{
		Name: s.cfg.Name,
		Steps: buildPlan(planInput{
			Name: s.cfg.Name, NodeAddress: s.cfg.NodeAddress, MachineID: machineID, Console: s.con.path, Hierarchies: host.cgroups.Hierarchies,
			Binds: s.cfg.Binds, Tmpfs: s.cfg.Tmpfs, Masked: host.masked, Generators: host.generators,
		}),
		Exec: pid1Args(s.cfg.Systemd),
		Env:  pid1Env(),
	}
	data, err := json.Marshal(plan)
	if err != nil {
		return fmt.Errorf("encode plan: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("plan pipe: %w", err)
	}
	defer w.Close()
	cmd := &exec.Cmd{
		Path:       s.cfg.Reexec,
		Args:       stage2Args(),
		Env:        []string{},
		Stdin:      s.con.peer,
		Stdout:     s.con.peer,
		Stderr:     s.con.peer,
		ExtraFiles: []*os.File{r},
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: cloneFlags,
			Setsid:     true,
			// The sandbox dies with its owner; its cgroups then stay behind.
			Pdeathsig: syscall.SIGKILL,
		},
	}
	err = cmd.Start()
	r.Close()
	if err != nil {
		return fmt.Errorf("start %s %s: %w", s.cfg.Reexec, Stage2Arg, err)
	}
	s.cmd, s.pid = cmd, cmd.Process.Pid
	go s.wait()
	if err := joinCgroups(s.cgroups, s.pid); err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("send plan to the second stage: %w", err)
	}
	return nil
}

func (s *Sandbox) wait() {
	err := s.cmd.Wait()
	s.mu.Lock()
	s.waitErr = err
	stopping := s.stopping
	s.mu.Unlock()
	close(s.done)
	if !stopping {
		s.errCh <- fmt.Errorf("sandbox %s: PID 1 (host pid %d) exited unexpectedly (%s)", s.cfg.Name, s.pid, exitState(err))
	}
	close(s.errCh)
}

func exitState(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// awaitRunning polls `systemctl is-system-running` inside until it says
// running or degraded. It asks only once systemd's private socket exists
// (a stat from the host, much cheaper than a command inside).
func (s *Sandbox) awaitRunning(ctx context.Context) error {
	socket := fmt.Sprintf("/proc/%d/root/run/systemd/private", s.pid)
	start := time.Now()
	state := "(not asked yet)"
	err := proc.Await(ctx, pollInterval, func() (bool, error) {
		select {
		case <-s.done:
			return false, fmt.Errorf("PID 1 exited (%s)", exitState(s.waitErr))
		default:
		}
		if _, err := os.Stat(socket); err != nil {
			return false, nil
		}
		cctx, cancel := context.WithTimeout(ctx, commandTimeout)
		defer cancel()
		out, _ := s.Command(cctx, "systemctl", "is-system-running").Output()
		if state = strings.TrimSpace(string(out)); state == "" {
			state = "(no answer)"
		}
		switch state {
		case "running":
			return true, nil
		case "degraded":
			failed, _ := s.Command(cctx, "systemctl", "--failed", "--no-legend", "--plain").Output()
			s.log.Info("sandbox booted degraded", "failedUnits", strings.TrimSpace(string(failed)))
			return true, nil
		case "maintenance", "stopping":
			return false, fmt.Errorf("systemctl is-system-running: %s", state)
		}
		return false, nil
	})
	switch {
	case err == nil:
		return nil
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("not running after %s (systemctl is-system-running: %s): %w", time.Since(start).Round(time.Millisecond), state, err)
	case ctx.Err() != nil:
		return fmt.Errorf("cancelled after %s (systemctl is-system-running: %s): %w", time.Since(start).Round(time.Millisecond), state, err)
	}
	return err
}

// setUpNetwork gives the sandbox its node address (Config.NodeAddress).
func (s *Sandbox) setUpNetwork(ctx context.Context) error {
	if s.cfg.NodeAddress == NoNetwork {
		return nil
	}
	n, err := parseNodeAddress(s.cfg.NodeAddress)
	if err != nil {
		return err
	}
	cmd := s.Command(ctx, "ip", "-batch", "-")
	cmd.Stdin = strings.NewReader(n.ipBatch())
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("node address %s: ip -batch: %w: %s", n.Address, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Command returns a command that runs args inside the sandbox: in all its
// namespaces, its root, PID 1's working directory and the sandbox's root
// cgroup in every hierarchy, with Config.Env as its environment. It is an
// ordinary exec.Cmd: set its standard streams, then Run it. (It runs
// Config.Reexec's enter stage, which joins the cgroups and executes
// `nsenter --target PID --all --root --wd -- ARGS`.)
//
// When ctx ends, SIGKILL goes to the process inside, not to nsenter (see
// Signal); replace Cancel to send another signal the same way.
func (s *Sandbox) Command(ctx context.Context, args ...string) *exec.Cmd {
	path, argv := commandArgs(s.cfg.Reexec, s.cgroups, s.nsenter, s.pid, args)
	cmd := exec.CommandContext(ctx, path)
	cmd.Args = argv
	cmd.Env = append([]string(nil), s.cfg.Env...)
	cmd.Cancel = func() error { return Signal(cmd, syscall.SIGKILL) }
	return cmd
}

// Signal sends sig to the process that cmd, started by Command, runs
// inside the sandbox. Signal the command this way, not through
// cmd.Process: a signal that kills nsenter orphans the process inside; the
// host's init inherits it and the sandbox's poweroff then waits for it.
func Signal(cmd *exec.Cmd, sig syscall.Signal) error {
	if cmd.Process == nil {
		return errors.New("sandbox: signal a command that has not started")
	}
	return signalInside(cmd.Process.Pid, sig)
}

// Name returns the sandbox's name (also its hostname and cgroup name).
func (s *Sandbox) Name() string { return s.cfg.Name }

// PID returns the host pid of the sandbox's PID 1.
func (s *Sandbox) PID() int { return s.pid }

// CgroupDirs returns the sandbox's cgroup directories on the host.
func (s *Sandbox) CgroupDirs() []string { return append([]string(nil), s.cgroups...) }

// BootTime returns how long Boot took from launch to running.
func (s *Sandbox) BootTime() time.Duration { return s.bootTime }

// ShutdownTime returns how long Stop took; zero before Stop.
func (s *Sandbox) ShutdownTime() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shutdownTime
}

// Err delivers an error if PID 1 exits without Stop having been called.
func (s *Sandbox) Err() <-chan error { return s.errCh }

// Done is closed once PID 1 has exited.
func (s *Sandbox) Done() <-chan struct{} { return s.done }

// ConsoleTail returns the last n lines of PID 1's console output.
func (s *Sandbox) ConsoleTail(n int) string { return s.con.Tail(n) }
