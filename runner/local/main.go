package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/node-e2e/harness/internal/shell"
	"github.com/node-e2e/harness/runner/internal/suite"
)

// config is the runner's flags.
type config struct {
	// BuildDependencies runs hack/build.sh first. Default true.
	BuildDependencies bool
	// OutDir holds kubelet, ginkgo, pause, testimage and e2e_node.test. Default _output/bin.
	OutDir string
	// Suite selects the specs (see runner/internal/suite).
	Suite suite.Config
}

func newConfig() config {
	return config{BuildDependencies: true, OutDir: "_output/bin", Suite: suite.NewConfig()}
}

func (c *config) addFlags(fs *flag.FlagSet) {
	fs.BoolVar(&c.BuildDependencies, "build-dependencies", c.BuildDependencies, "build kubelet, ginkgo, pause, testimage and e2e_node.test first (hack/build.sh)")
	fs.StringVar(&c.OutDir, "out-dir", c.OutDir, "directory of the built binaries")
	c.Suite.AddFlags(fs)
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(argv []string) int {
	c := newConfig()
	fs := flag.NewFlagSet("runner/local", flag.ContinueOnError)
	c.addFlags(fs)
	argv, testArgs := suite.SplitArgs(argv)
	if err := fs.Parse(argv); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "runner/local: unexpected argument %q (e2e_node.test flags go after --)\n", fs.Arg(0))
		return 2
	}
	sel, err := c.Suite.Selection(testArgs)
	if err != nil {
		fmt.Fprintf(os.Stderr, "runner/local: %v\n", err)
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
	cmd := exec.Command(ginkgo, sel.GinkgoArgs(filepath.Join(c.OutDir, "e2e_node.test"))...)
	fmt.Fprintf(os.Stderr, "runner/local: %s\n", shell.Join(cmd.Args...))
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
