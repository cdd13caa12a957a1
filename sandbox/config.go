package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Defaults of Config.
const (
	DefaultSystemd     = "/lib/systemd/systemd"
	DefaultNsenter     = "nsenter"
	DefaultReexec      = "/proc/self/exe"
	DefaultBootTimeout = 60 * time.Second
	DefaultStopTimeout = 10 * time.Second
)

// DefaultEnv is the environment of the programs Command starts.
var DefaultEnv = []string{
	defaultPath,
	"HOME=/root",
	"LANG=C.UTF-8",
}

// Config describes one sandbox.
type Config struct {
	// Name names the sandbox: it is the name of its cgroup (a child of the
	// caller's cgroup in every host hierarchy), its hostname, and the source
	// of every mount it makes. Lowercase letters, digits and dashes.
	// Default: "sandbox-" and 8 random hex digits, chosen by Boot.
	Name string
	// Binds are host paths mounted into the sandbox, after everything else.
	// Default: none.
	Binds []Bind
	// Tmpfs are directories inside the sandbox that get an empty tmpfs (for
	// state that must not live on the overlay, e.g. /var/lib/containerd).
	// Default: none.
	Tmpfs []string
	// MaskUnits are units masked in addition to the built-in list (see
	// MaskedUnits). Default: none.
	MaskUnits []string
	// BootTimeout bounds Boot, from launch to `systemctl is-system-running`
	// answering running or degraded. Default: DefaultBootTimeout (60s).
	BootTimeout time.Duration
	// StopTimeout bounds how long Stop waits for PID 1 to exit after
	// `systemctl poweroff` before it kills it. Default: DefaultStopTimeout (10s).
	StopTimeout time.Duration
	// ConsoleLog, if set, is a file that receives PID 1's console output
	// (truncated at Boot). Default: "" (the last 64 KiB are kept in memory
	// for error messages only).
	ConsoleLog string
	// Systemd is the systemd binary inside the sandbox (the host's, through
	// the overlay). Default: DefaultSystemd (/lib/systemd/systemd).
	Systemd string
	// Nsenter is the util-linux nsenter that Command uses, a path or a name
	// looked up in $PATH. Default: DefaultNsenter ("nsenter").
	Nsenter string
	// Reexec is the executable that implements the second stage (it must
	// call RunReexec when IsReexec says so).
	// Default: DefaultReexec (/proc/self/exe).
	Reexec string
	// Env is the environment of the programs Command starts.
	// Default: DefaultEnv.
	Env []string
	// NodeAddress is the sandbox's address with its prefix length, on an
	// eth0 whose default route stays inside the sandbox's network namespace
	// (the kubelet needs a non-loopback node IP); NoNetwork ("none") leaves
	// lo only. Default: DefaultNodeAddress (198.18.0.2/24).
	NodeAddress string
}

// NewConfig returns a Config with every default filled in except Name,
// which Boot chooses when it is empty.
func NewConfig() Config {
	return Config{
		BootTimeout: DefaultBootTimeout,
		StopTimeout: DefaultStopTimeout,
		Systemd:     DefaultSystemd,
		Nsenter:     DefaultNsenter,
		Reexec:      DefaultReexec,
		Env:         append([]string(nil), DefaultEnv...),
		NodeAddress: DefaultNodeAddress,
	}
}

// withDefaults returns c with its zero fields set to their defaults.
func (c Config) withDefaults() (Config, error) {
	d := NewConfig()
	if c.Name == "" {
		b := make([]byte, 4)
		if _, err := rand.Read(b); err != nil {
			return c, fmt.Errorf("sandbox: choose a name: %w", err)
		}
		c.Name = "sandbox-" + hex.EncodeToString(b)
	}
	if c.BootTimeout == 0 {
		c.BootTimeout = d.BootTimeout
	}
	if c.StopTimeout == 0 {
		c.StopTimeout = d.StopTimeout
	}
	if c.Systemd == "" {
		c.Systemd = d.Systemd
	}
	if c.Nsenter == "" {
		c.Nsenter = d.Nsenter
	}
	if c.Reexec == "" {
		c.Reexec = d.Reexec
	}
	if c.Env == nil {
		c.Env = d.Env
	}
	if c.NodeAddress == "" {
		c.NodeAddress = d.NodeAddress
	}
	return c, nil
}

var nameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// reservedTargets are the trees the sandbox builds itself; a bind or tmpfs
// there would hide them or be hidden.
var reservedTargets = []string{"/", "/proc", "/sys", "/dev", "/run/systemd"}

// Validate checks the configuration without looking at the host. An empty
// Name is accepted (Boot chooses one).
func (c Config) Validate() error {
	var errs []error
	if c.Name != "" && !nameRE.MatchString(c.Name) {
		errs = append(errs, fmt.Errorf("name %q: want 1-63 lowercase letters, digits and dashes, not starting or ending with a dash", c.Name))
	}
	for _, b := range c.Binds {
		if err := b.validate(); err != nil {
			errs = append(errs, err)
		}
	}
	for _, t := range c.Tmpfs {
		if err := checkTarget(t); err != nil {
			errs = append(errs, fmt.Errorf("tmpfs %w", err))
		}
	}
	for _, u := range c.MaskUnits {
		if u == "" || strings.ContainsAny(u, "/ \t\n") || !strings.Contains(u, ".") {
			errs = append(errs, fmt.Errorf("mask unit %q: want a unit name such as foo.service", u))
		}
	}
	if c.BootTimeout < 0 {
		errs = append(errs, fmt.Errorf("boot timeout %s is negative", c.BootTimeout))
	}
	if c.StopTimeout < 0 {
		errs = append(errs, fmt.Errorf("stop timeout %s is negative", c.StopTimeout))
	}
	if c.NodeAddress != "" && c.NodeAddress != NoNetwork {
		if _, err := parseNodeAddress(c.NodeAddress); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Systemd != "" && !filepath.IsAbs(c.Systemd) {
		errs = append(errs, fmt.Errorf("systemd %q: want an absolute path", c.Systemd))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sandbox: invalid config: %w", err)
	}
	return nil
}

// checkTarget checks a path inside the sandbox that something is mounted on.
func checkTarget(p string) error {
	if !filepath.IsAbs(p) {
		return fmt.Errorf("target %q: want an absolute path", p)
	}
	clean := filepath.Clean(p)
	for _, r := range reservedTargets {
		if clean == r || (r != "/" && strings.HasPrefix(clean, r+"/")) {
			return fmt.Errorf("target %q: the sandbox builds %s itself", p, r)
		}
	}
	return nil
}

// AddFlags binds the configuration to flags in fs.
func (c *Config) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Name, "name", c.Name, "sandbox name: its hostname and cgroup name (default: sandbox-<random>)")
	fs.Var((*bindList)(&c.Binds), "bind", "bind a host path into the sandbox: SRC[:DST[:ro|rw]] (repeatable)")
	fs.Var((*stringList)(&c.Tmpfs), "tmpfs", "mount an empty tmpfs at this directory inside the sandbox (repeatable)")
	fs.Var((*stringList)(&c.MaskUnits), "mask", "mask this unit in addition to the built-in list (repeatable)")
	fs.DurationVar(&c.BootTimeout, "boot-timeout", c.BootTimeout, "how long the sandbox may take to boot")
	fs.DurationVar(&c.StopTimeout, "stop-timeout", c.StopTimeout, "how long poweroff may take before PID 1 is killed")
	fs.StringVar(&c.ConsoleLog, "console-log", c.ConsoleLog, "write PID 1's console output to this file")
	fs.StringVar(&c.Systemd, "systemd", c.Systemd, "the systemd binary to run as PID 1")
	fs.StringVar(&c.NodeAddress, "node-address", c.NodeAddress, `the sandbox's address on eth0 (CIDR), or "none" for lo only`)
}

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

type bindList []Bind

func (l *bindList) String() string {
	s := make([]string, len(*l))
	for i, b := range *l {
		s[i] = b.String()
	}
	return strings.Join(s, ",")
}

func (l *bindList) Set(s string) error {
	b, err := ParseBind(s)
	if err != nil {
		return err
	}
	*l = append(*l, b)
	return nil
}
