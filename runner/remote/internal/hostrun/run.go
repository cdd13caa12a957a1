package hostrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/node-e2e/harness/internal/shell"
	"github.com/node-e2e/harness/runner/remote/internal/junit"
	"github.com/node-e2e/harness/runner/remote/internal/sshcmd"
)

// StepsLog is the file in a host's artifacts directory that records every
// step: its command line, how long it took, how it ended and what ssh
// wrote to standard error.
const StepsLog = "remote-steps.log"

// Run runs the suite on t and returns the host's result; it never returns
// early without one.
//
// ctx is the run itself: once it is cancelled (the runner was
// interrupted), the steps still ahead are skipped and a running suite is
// stopped. salvage bounds what is done after that to save the host's
// artifacts and leave it clean (stopping the suite, collecting, removing
// the workspace); cancelling it gives up on those too.
func Run(ctx, salvage context.Context, c Config, t sshcmd.Target, p *Progress) (res Result) {
	start := time.Now()
	h := &hostRun{c: c, t: t, p: p, dir: filepath.Join(c.ResultsDir, t.Name)}
	res = Result{Host: t.Name, ArtifactsDir: h.dir}
	defer func() { res.Duration = time.Since(start) }()
	if err := os.MkdirAll(h.dir, 0o755); err != nil {
		res.Fail(fmt.Sprintf("artifacts directory: %v", err))
		return res
	}
	logFile, err := os.OpenFile(filepath.Join(h.dir, StepsLog), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		res.Fail(fmt.Sprintf("artifacts directory: %v", err))
		return res
	}
	defer logFile.Close()
	h.log = logFile
	// A report left by an earlier run in the same directory must not
	// count for this one.
	if old, _ := filepath.Glob(filepath.Join(h.dir, junit.Pattern)); len(old) > 0 {
		for _, f := range old {
			if err := os.Remove(f); err != nil {
				res.Fail(fmt.Sprintf("artifacts directory: remove an earlier run's report: %v", err))
				return res
			}
		}
		fmt.Fprintf(h.log, "%s removed an earlier run's reports: %s\n", time.Now().Format(time.RFC3339), strings.Join(old, " "))
	}

	setupErr := h.workspace(ctx)
	res.Workspace = h.ws
	if setupErr == nil {
		setupErr = h.copy(ctx)
	}
	if setupErr == nil {
		setupErr = h.unpack(ctx)
	}
	if setupErr == nil && c.InstallDeps {
		setupErr = h.install(ctx)
	}
	var suiteErr, reportErr, refusedErr error
	var cutShort bool
	var counts junit.Counts
	if setupErr == nil {
		cutShort, suiteErr = h.suite(ctx, salvage)
		if err := h.collect(salvage); errors.As(err, new(*collectRefused)) {
			refusedErr = err
		} else if err != nil {
			res.Notes = append(res.Notes, err.Error())
		}
		counts, reportErr = junit.ReadDir(h.dir)
		if reportErr == nil {
			res.Counts = &counts
		}
	}
	if h.ws != "" && c.Cleanup {
		if err := h.cleanup(salvage); err != nil {
			res.Notes = append(res.Notes, err.Error()+" (workspace "+h.ws+" left on the host)")
		}
	}

	res.Passed = true
	switch {
	case setupErr != nil:
		res.Fail(setupErr.Error())
	case refusedErr != nil:
		res.Fail(refusedErr.Error())
	case cutShort:
		res.Fail(suiteErr.Error())
	case reportErr != nil:
		res.Fail(reportErr.Error())
	case !counts.OK():
		res.Fail(describeFailures(counts))
	case suiteErr != nil:
		res.Fail(suiteErr.Error())
	}
	return res
}

// describeFailures says what the report shows failed.
func describeFailures(c junit.Counts) string {
	n := c.Failed + c.SuiteFailures
	if n == 0 {
		return "the JUnit report says the suite failed"
	}
	names := c.Failures
	more := ""
	if len(names) > 2 {
		names, more = names[:2], fmt.Sprintf(" and %d more", len(c.Failures)-2)
	}
	return fmt.Sprintf("%d failed: %s%s", n, strings.Join(names, "; "), more)
}

// hostRun is the state of one host's run.
type hostRun struct {
	c   Config
	t   sshcmd.Target
	p   *Progress
	dir string
	log io.Writer

	ws   string // the workspace on the host, once created
	root bool   // whether the login user is root
}

// ssh runs one step over ssh, recording it in the steps log.
func (h *hostRun) ssh(ctx context.Context, step string, timeout time.Duration, command string, stdin io.Reader, stdout io.Writer) (time.Duration, error) {
	bin := h.c.SSH.BinaryPath()
	args := h.c.SSH.Args(h.t, command)
	start := time.Now()
	fmt.Fprintf(h.log, "%s %s: %s\n", start.Format(time.RFC3339), step, shell.Join(append([]string{bin}, args...)...))
	err := sshcmd.Run(ctx, sshcmd.Step{Name: step, Path: bin, Args: args, Stdin: stdin, Stdout: stdout, Stderr: h.log, Timeout: timeout})
	d := time.Since(start)
	outcome := "ok"
	if err != nil {
		outcome = err.Error()
	}
	fmt.Fprintf(h.log, "%s %s: %s after %s\n", time.Now().Format(time.RFC3339), step, outcome, FormatDuration(d))
	return d, err
}

// report prints a finished step's progress line.
func (h *hostRun) report(step string, d time.Duration, err error, detail string) {
	if err != nil {
		h.p.Step(h.t.Name, step, "FAILED", d, err.Error())
		return
	}
	h.p.Step(h.t.Name, step, "ok", d, detail)
}

func (h *hostRun) workspace(ctx context.Context) error {
	var out bytes.Buffer
	d, err := h.ssh(ctx, "workspace", h.c.Timeouts.Command, workspaceCommand(), nil, &out)
	if err == nil {
		h.ws, h.root, err = parseWorkspace(out.String())
		if err != nil {
			err = fmt.Errorf("workspace: %w", err)
		}
	}
	detail := h.ws + " on " + h.t.String()
	if !h.root {
		detail += " (commands as root through sudo)"
	}
	h.report("workspace", d, err, detail)
	return err
}

func (h *hostRun) copy(ctx context.Context) error {
	f, err := os.Open(h.c.Archive)
	if err != nil {
		err = fmt.Errorf("copy: %w", err)
		h.report("copy", 0, err, "")
		return err
	}
	defer f.Close()
	size := int64(0)
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	d, err := h.ssh(ctx, "copy", h.c.Timeouts.Copy, uploadCommand(h.ws), f, nil)
	h.report("copy", d, err, fmt.Sprintf("%s, %.1f MB/s", FormatSize(size), float64(size)/(1<<20)/max(d.Seconds(), 0.001)))
	return err
}

func (h *hostRun) unpack(ctx context.Context) error {
	d, err := h.ssh(ctx, "unpack", h.c.Timeouts.Command, unpackCommand(h.ws), nil, nil)
	h.report("unpack", d, err, "")
	return err
}

func (h *hostRun) install(ctx context.Context) error {
	var out bytes.Buffer
	d, err := h.ssh(ctx, "install", h.c.Timeouts.Install, installCommand(h.ws, h.root), nil, io.MultiWriter(&out, h.log))
	detail := "nothing to install"
	if s := strings.TrimSpace(out.String()); s != "" {
		detail = strings.Join(strings.Fields(s), " ")
	}
	h.report("install", d, err, detail)
	return err
}

// suite runs the suite, streaming its output into ginkgo.log in the
// artifacts directory and printing a line per finished spec. If the step
// does not end by itself (deadline, interrupt, lost connection), the suite
// is stopped on the host, so that it tears its node down. cutShort says
// the suite did not run to its end: it ran out of time or was
// interrupted.
func (h *hostRun) suite(ctx, salvage context.Context) (cutShort bool, err error) {
	stream, err := os.Create(filepath.Join(h.dir, "ginkgo.log"))
	if err != nil {
		return false, fmt.Errorf("suite: %w", err)
	}
	defer stream.Close()
	var specs SpecCounter
	out := &lineWriter{w: stream, fn: func(line string) {
		if specs.Line(line) {
			detail := ""
			if specs.Failed > 0 {
				detail = fmt.Sprintf("%d failed", specs.Failed)
			}
			h.p.Step(h.t.Name, "specs", fmt.Sprintf("%d/%d", specs.Done, specs.Total), 0, detail)
		}
	}}
	h.p.Step(h.t.Name, "suite", "started", 0, "timeout "+h.c.Timeouts.Test.String()+", output in "+stream.Name())
	d, err := h.ssh(ctx, "suite", h.c.Timeouts.Test, h.c.suiteCommand(h.ws, h.root), nil, out)
	var se *sshcmd.StepError
	if errors.As(err, &se) {
		cutShort = se.Timeout > 0 || se.Interrupted
		if se.ExitCode == 124 && !cutShort {
			_, interrupt, _ := SuiteDeadlines(h.c.Timeouts.Test)
			cutShort, err = true, fmt.Errorf("suite: ran past its deadline on the host (%s) and was interrupted there (exit 124)", interrupt)
		}
	}
	h.report("suite", d, err, "exit 0")
	if se != nil && (se.Timeout > 0 || se.Interrupted || se.ExitCode == 255 || se.ExitCode == -1) {
		// ssh was killed or lost its connection: the suite may still be
		// running on the host.
		grace := h.c.Timeouts.Command / 2
		sd, serr := h.ssh(salvage, "stop", h.c.Timeouts.Command, stopCommand(h.ws, h.root, grace), nil, nil)
		h.report("stop", sd, serr, "suite stopped on the host")
	}
	return cutShort, err
}

func (h *hostRun) cleanup(ctx context.Context) error {
	d, err := h.ssh(ctx, "cleanup", h.c.Timeouts.Command, cleanupCommand(h.ws, h.root), nil, nil)
	h.report("cleanup", d, err, "removed "+h.ws)
	return err
}
