package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/node-e2e/harness/sandbox"
)

// Exit codes of the command itself; otherwise it exits with the code of the
// command it ran inside.
const (
	exitUsage   = 2   // bad command line
	exitSandbox = 125 // the sandbox could not be booted or stopped
)

const usage = `Usage:
  systemd-sandbox run [flags] -- CMD [ARGS...]   boot, run CMD inside, power off; exit with CMD's code
  systemd-sandbox shell [flags]                   the same with an interactive /bin/bash

Flags:
  --bind SRC[:DST[:ro|rw]]   bind a host path into the sandbox (repeatable; default read-write, DST=SRC)
  --tmpfs DIR                mount an empty tmpfs at DIR inside (repeatable)
  --mask UNIT                mask UNIT in addition to the built-in list (repeatable)
  --env KEY=VALUE            set an environment variable for CMD (repeatable)
  --name NAME                sandbox name: hostname and cgroup name (default sandbox-<random>)
  --boot-timeout DURATION    how long booting may take (default 1m0s)
  --stop-timeout DURATION    how long poweroff may take before PID 1 is killed (default 10s)
  --console-log FILE         write PID 1's console output to FILE
  --systemd PATH             systemd binary (default /lib/systemd/systemd)
  --node-address CIDR        the sandbox's address on eth0, whose default route stays inside
                             (default 198.18.0.2/24; "none": lo only)
  --no-scope                 run CMD directly instead of in a transient scope unit (systemd-run --scope)
  -v                         print boot and shutdown times to stderr

Exit status: CMD's, 125 if the sandbox failed, 2 for a bad command line.
`

// invocation is a parsed command line.
type invocation struct {
	help    bool
	cfg     sandbox.Config
	env     []string
	scope   bool
	verbose bool
	command []string
}

// parseArgs parses the command line (without the program name).
func parseArgs(args []string) (invocation, error) {
	inv := invocation{cfg: sandbox.NewConfig(), scope: true}
	if len(args) == 0 {
		return inv, errors.New("missing subcommand (run or shell)")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "-h", "--help", "help":
		inv.help = true
		return inv, nil
	case "run", "shell":
	default:
		return inv, fmt.Errorf("unknown subcommand %q (want run or shell)", sub)
	}
	fs := flag.NewFlagSet(sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	inv.cfg.AddFlags(fs)
	fs.Func("env", "KEY=VALUE for CMD", func(s string) error {
		if k, _, ok := strings.Cut(s, "="); !ok || k == "" {
			return fmt.Errorf("want KEY=VALUE, got %q", s)
		}
		inv.env = append(inv.env, s)
		return nil
	})
	noScope := fs.Bool("no-scope", false, "run CMD outside a scope unit")
	fs.BoolVar(&inv.verbose, "v", false, "print timings")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			inv.help = true
			return inv, nil
		}
		return inv, err
	}
	inv.scope = !*noScope
	inv.command = fs.Args()
	switch {
	case sub == "run" && len(inv.command) == 0:
		return inv, errors.New("run: missing command (systemd-sandbox run [flags] -- CMD [ARGS...])")
	case sub == "shell" && len(inv.command) > 0:
		return inv, fmt.Errorf("shell: unexpected arguments %q", inv.command)
	case sub == "shell":
		inv.command = []string{"/bin/bash", "-l"}
	}
	if err := inv.cfg.Validate(); err != nil {
		return inv, err
	}
	return inv, nil
}

// commandLine returns what runs inside: the command, in a transient scope
// unit (as a login shell's processes are on a systemd host) unless scope
// is false.
func commandLine(command []string, scope bool) []string {
	if !scope {
		return command
	}
	return append([]string{"systemd-run", "--scope", "--quiet", "--collect", "--"}, command...)
}
