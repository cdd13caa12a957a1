package main

import (
	"fmt"
	"io"
	"os"
)

// Exit codes.
const (
	exitOK      = 0 // every host passed
	exitFailed  = 1 // a host failed, or the run was interrupted
	exitUsage   = 2 // bad flags or input, found before anything started
	exitRunner  = 3 // the runner itself failed (archive, Compute API client, ledger)
	usageHeader = `usage: remote [run] [flags] [-- e2e_node.test flags]
       remote reap --run-id ID [--results-dir DIR] [--project P --zone Z]
`
)

func main() {
	os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
}

// Main runs the command line argv and returns the exit code.
func Main(argv []string, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(argv) > 0 && (argv[0] == "run" || argv[0] == "reap") {
		cmd, argv = argv[0], argv[1:]
	}
	switch cmd {
	case "reap":
		return reapMain(argv, stdout, stderr)
	default:
		return runMain(argv, stdout, stderr)
	}
}

// fail prints a runner error and returns code.
func fail(w io.Writer, code int, format string, args ...any) int {
	fmt.Fprintf(w, "runner/remote: "+format+"\n", args...)
	return code
}
