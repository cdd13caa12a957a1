package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/node-e2e/harness/runner/internal/suite"
)

// Exit codes.
const (
	exitOK      = 0 // every host passed
	exitFailed  = 1 // a host failed, or the run was interrupted
	exitUsage   = 2 // bad flags or input, found before anything started
	exitRunner  = 3 // the runner itself failed (archive, Compute API client, ledger)
	usageHeader = `usage: remote [run] [flags] [-- e2e_node.test flags]
       remote [run] --kubeconfig K --nodes a,b|all --registry R [cluster flags] [-- e2e_node.test flags]
       remote attach|collect --run-id ID [--kubeconfig K] [--results-dir DIR]
       remote status [--run-id ID] [--kubeconfig K]
       remote cancel --run-id ID [--kubeconfig K]
       remote reap --run-id ID [--results-dir DIR] [--project P --zone Z]
       remote reap --kubeconfig K --run-id ID | --older-than D | --expired
`
)

func main() {
	os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
}

// Main runs the command line argv and returns the exit code.
func Main(argv []string, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(argv) > 0 {
		switch argv[0] {
		case "run", "reap", "attach", "status", "collect", "cancel":
			cmd, argv = argv[0], argv[1:]
		}
	}
	switch cmd {
	case "reap":
		if isClusterReap(argv) {
			return clusterReapMain(argv, stdout, stderr)
		}
		return reapMain(argv, stdout, stderr)
	case "attach", "status", "collect", "cancel":
		return clusterCmdMain(cmd, argv, stdout, stderr)
	default:
		if flags, _ := suite.SplitArgs(argv); isClusterRun(flags) {
			return clusterRunMain(argv, stdout, stderr)
		}
		return runMain(argv, stdout, stderr)
	}
}

// parseFlags parses args into fs. When it returns false the command ends
// with code: exitOK after -h, exitUsage after a bad flag (the flag package
// printed why) or a positional argument (named, after prefix, with hint).
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer, prefix, hint string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	if fs.NArg() > 0 {
		return fail(stderr, exitUsage, "%sunexpected argument %q%s", prefix, fs.Arg(0), hint), false
	}
	return 0, true
}

// fail prints a runner error and returns code.
func fail(w io.Writer, code int, format string, args ...any) int {
	fmt.Fprintf(w, "runner/remote: "+format+"\n", args...)
	return code
}
