package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// config is the runner's flags.
type config struct {
	// BuildDependencies runs hack/build.sh first. Default true.
	BuildDependencies bool
	// OutDir holds kubelet, ginkgo, pause, testimage and e2e_node.test. Default _output/bin.
	OutDir string
	// Focus, Skip and LabelFilter select specs (ginkgo --focus, --skip,
	// --label-filter).
	Focus, Skip, LabelFilter string
	// Parallelism is ginkgo's --procs; 1 runs serially.
	Parallelism int
	// GinkgoFlags are extra ginkgo flags, space separated.
	GinkgoFlags string
	// TestArgs are e2e_node.test flags, space separated (appended after the
	// ones given after "--").
	TestArgs string
}

func (c *config) addFlags(fs *flag.FlagSet) {
	fs.BoolVar(&c.BuildDependencies, "build-dependencies", true, "build kubelet, ginkgo, pause, testimage and e2e_node.test first (hack/build.sh)")
	fs.StringVar(&c.OutDir, "out-dir", "_output/bin", "directory of the built binaries")
	fs.StringVar(&c.Focus, "focus", "", "run only specs matching this regular expression")
	fs.StringVar(&c.Skip, "skip", "", "skip specs matching this regular expression")
	fs.StringVar(&c.LabelFilter, "label-filter", "", "ginkgo label filter, e.g. 'NodeConformance && !Slow'")
	fs.IntVar(&c.Parallelism, "parallelism", 1, "number of parallel ginkgo processes")
	fs.StringVar(&c.GinkgoFlags, "ginkgo-flags", "", "extra ginkgo flags, space separated")
	fs.StringVar(&c.TestArgs, "test-args", "", "extra e2e_node.test flags, space separated")
}

// ginkgoArgs returns ginkgo's command line (without the ginkgo binary).
func (c config) ginkgoArgs(testArgs []string) []string {
	args := []string{"--no-color", "-v"}
	if c.Parallelism > 1 {
		args = append(args, "--procs="+strconv.Itoa(c.Parallelism))
	}
	if c.Focus != "" {
		args = append(args, "--focus="+c.Focus)
	}
	if c.Skip != "" {
		args = append(args, "--skip="+c.Skip)
	}
	if c.LabelFilter != "" {
		args = append(args, "--label-filter="+c.LabelFilter)
	}
	args = append(args, strings.Fields(c.GinkgoFlags)...)
	args = append(args, filepath.Join(c.OutDir, "e2e_node.test"), "--")
	args = append(args, testArgs...)
	return append(args, strings.Fields(c.TestArgs)...)
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(argv []string) int {
	var c config
	fs := flag.NewFlagSet("runner/local", flag.ContinueOnError)
	c.addFlags(fs)
	var testArgs []string
	for i, a := range argv {
		if a == "--" {
			argv, testArgs = argv[:i], argv[i+1:]
			break
		}
	}
	if err := fs.Parse(argv); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "runner/local: unexpected argument %q (e2e_node.test flags go after --)\n", fs.Arg(0))
		return 2
	}
	if c.Parallelism < 1 {
		fmt.Fprintf(os.Stderr, "runner/local: --parallelism=%d: want 1 or more\n", c.Parallelism)
		return 2
	}
	if c.BuildDependencies {
		if err := execute(exec.Command("hack/build.sh"), c.OutDir); err != nil {
			fmt.Fprintf(os.Stderr, "runner/local: build failed: %v\n", err)
			return 3
		}
	}
	ginkgo := filepath.Join(c.OutDir, "ginkgo")
	if _, err := os.Stat(ginkgo); err != nil {
		fmt.Fprintf(os.Stderr, "runner/local: %v (build it with hack/build.sh or drop --build-dependencies=false)\n", err)
		return 2
	}
	cmd := exec.Command(ginkgo, c.ginkgoArgs(testArgs)...)
	fmt.Fprintf(os.Stderr, "runner/local: %s\n", strings.Join(cmd.Args, " "))
	if err := execute(cmd, c.OutDir); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() > 0 {
			return ee.ExitCode()
		}
		fmt.Fprintf(os.Stderr, "runner/local: %v\n", err)
		return 3
	}
	return 0
}

// execute runs cmd with the terminal's stdio in a process group of its own,
// and forwards SIGINT and SIGTERM to that whole group exactly once each:
// the suite's processes (ginkgo and e2e_node.test) then see one interrupt,
// clean up and tear the node down. (A second interrupt makes Ginkgo skip
// its cleanup, which is what a terminal and a forwarding parent would
// deliver together if the child shared our group.)
func execute(cmd *exec.Cmd, outDir string) error {
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "OUT_DIR="+outDir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case err := <-done:
			return err
		case s := <-sigs:
			_ = syscall.Kill(-cmd.Process.Pid, s.(syscall.Signal))
		}
	}
}
