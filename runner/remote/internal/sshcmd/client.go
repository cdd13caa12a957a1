package sshcmd

import (
	"fmt"
	"strconv"
	"time"
)

// DefaultConnectTimeout is ssh's ConnectTimeout when Client leaves it zero.
const DefaultConnectTimeout = 30 * time.Second

// Target is one SSH destination.
type Target struct {
	// Name names the host in progress lines, the summary and the artifacts
	// directory. Required.
	Name string
	// Address is what ssh connects to: a host name, an IP address or a
	// Host alias of ~/.ssh/config, optionally prefixed with user@. Required.
	Address string
	// Port, when non-zero, is passed as -p; otherwise ssh's configuration
	// (or --ssh-options) decides.
	Port int
}

func (t Target) String() string {
	if t.Port != 0 {
		return t.Address + ":" + strconv.Itoa(t.Port)
	}
	return t.Address
}

// Client says how to invoke the system ssh client. The zero value runs
// "ssh" with BatchMode=yes and ConnectTimeout=30s.
type Client struct {
	// Binary is the ssh executable. Default "ssh" from PATH.
	Binary string
	// User, when set, is passed as -l. Default: whatever ssh picks
	// (~/.ssh/config, then the local user name).
	User string
	// Key, when set, is passed as -i together with IdentitiesOnly=yes.
	// Default: ssh's own identities and agent.
	Key string
	// Options are extra ssh arguments, already split into words, e.g.
	// ["-o", "StrictHostKeyChecking=no", "-p", "2222"]. Default none.
	Options []string
	// ConnectTimeout is ssh's ConnectTimeout (TCP connect and SSH
	// handshake). Default DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// KnownHostsFile, when set, makes ssh record and check host keys in
	// this file and accept keys of hosts it has not seen
	// (StrictHostKeyChecking=accept-new). The runner sets it for the VMs
	// it creates, which have fresh host keys; the user's known_hosts is
	// then neither consulted nor changed. Default: ssh's configuration.
	KnownHostsFile string
}

// BinaryPath returns the ssh executable to run.
func (c Client) BinaryPath() string {
	if c.Binary == "" {
		return "ssh"
	}
	return c.Binary
}

// Args returns ssh's arguments (without the executable) that run command,
// a POSIX shell command line, on t. The options that keep a run bounded
// come first, because ssh keeps the first value it sees for each option:
// BatchMode=yes (never prompt for a password or passphrase) and
// ConnectTimeout. A per-host port comes before the user's options for the
// same reason. ServerAliveInterval comes after them, so users can tune it.
//
// A remote host is not trusted with anything of the user's: nothing is
// forwarded to it, whatever ~/.ssh/config or Options say.
// ClearAllForwardings=yes comes first (first value wins for -o; it also
// turns tunnels off) and -a (no agent) and -x (no X11) come after the
// user's options, since for these flags the last one given wins over -A,
// -X and any ForwardAgent or ForwardX11 setting.
func (c Client) Args(t Target, command string) []string {
	timeout := c.ConnectTimeout
	if timeout <= 0 {
		timeout = DefaultConnectTimeout
	}
	secs := int((timeout + time.Second - 1) / time.Second)
	args := []string{
		"-o", "BatchMode=yes",
		"-o", fmt.Sprintf("ConnectTimeout=%d", secs),
		"-o", "ClearAllForwardings=yes",
	}
	if c.KnownHostsFile != "" {
		args = append(args,
			"-o", "UserKnownHostsFile="+c.KnownHostsFile,
			"-o", "StrictHostKeyChecking=accept-new",
			"-o", "CheckHostIP=no")
	}
	if c.Key != "" {
		args = append(args, "-i", c.Key, "-o", "IdentitiesOnly=yes")
	}
	if c.User != "" {
		args = append(args, "-l", c.User)
	}
	if t.Port != 0 {
		args = append(args, "-p", strconv.Itoa(t.Port))
	}
	args = append(args, c.Options...)
	args = append(args,
		"-a", "-x",
		"-o", "ServerAliveInterval=15",
		"-o", "ServerAliveCountMax=4",
		"--", t.Address, command)
	return args
}
