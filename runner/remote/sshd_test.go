package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const sshdPath = "/usr/sbin/sshd"

// requireSSHD skips the test unless it can run a real OpenSSH server:
// root (to log in as root), /usr/sbin/sshd and ssh-keygen.
func requireSSHD(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("integration test: needs root")
	}
	for _, p := range []string{sshdPath} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("integration test: needs %s (apt-get install openssh-server)", p)
		}
	}
	for _, b := range []string{"ssh", "ssh-keygen"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("integration test: needs %s", b)
		}
	}
}

// sshServer is a real sshd on a loopback port, with its own host key,
// accepting one client key for root.
type sshServer struct {
	Port       int
	Key        string // the client's private key
	KnownHosts string // known_hosts holding the server's host key
	Log        string // sshd's log
}

// UserFlags are the runner flags for reaching the server the way a user
// would: their key, their known_hosts, strict host key checking.
func (s *sshServer) UserFlags() []string {
	return []string{"--ssh-user", "root", "--ssh-key", s.Key,
		"--ssh-options", "-o UserKnownHostsFile=" + s.KnownHosts + " -o StrictHostKeyChecking=yes"}
}

// Host is a --hosts entry for the server.
func (s *sshServer) Host(name string) string {
	return name + "=127.0.0.1:" + strconv.Itoa(s.Port)
}

// startSSHD starts sshd -D -e -f <config> on a listener the test owns
// (127.0.0.1:0), handed over through systemd socket activation
// (LISTEN_FDS, which Debian's sshd supports): no port is guessed. It is
// stopped when the test ends.
func startSSHD(t *testing.T) *sshServer {
	t.Helper()
	requireSSHD(t)
	dir := t.TempDir()
	keygen := func(name string) {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "node-e2e-test", "-f", filepath.Join(dir, name)).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v: %s", err, out)
		}
	}
	keygen("host_key")
	keygen("client_key")
	pub, err := os.ReadFile(filepath.Join(dir, "client_key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600)

	// sshd needs its privilege separation directory.
	if _, err := os.Stat("/run/sshd"); os.IsNotExist(err) {
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove("/run/sshd") })
	}

	cfg := filepath.Join(dir, "sshd_config")
	os.WriteFile(cfg, []byte(strings.Join([]string{
		"ListenAddress 127.0.0.1", // unused: the listener comes through socket activation
		"HostKey " + filepath.Join(dir, "host_key"),
		"AuthorizedKeysFile " + filepath.Join(dir, "authorized_keys"),
		"PermitRootLogin yes",
		"UsePAM no",
		"StrictModes no",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"PidFile none",
		"LogLevel INFO",
		"",
	}, "\n")), 0o600)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close() // sshd has its own copy
	lf, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	logPath := filepath.Join(dir, "sshd.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command("sh", "-c", `LISTEN_PID=$$ LISTEN_FDS=1 exec `+sshdPath+` -D -e -f "$0"`, cfg)
	cmd.ExtraFiles = []*os.File{lf} // fd 3
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("sshd log:\n%s", b)
		}
	})
	want := fmt.Sprintf("Server listening on 127.0.0.1 port %d.", port)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		b, _ := os.ReadFile(logPath)
		if bytes.Contains(b, []byte(want)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd did not take the listener (want %q in its log):\n%s", want, b)
		}
	}
	hostPub, err := os.ReadFile(filepath.Join(dir, "host_key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	knownHosts := filepath.Join(dir, "known_hosts")
	os.WriteFile(knownHosts, []byte(fmt.Sprintf("[127.0.0.1]:%d %s", port, hostPub)), 0o600)
	return &sshServer{Port: port, Key: filepath.Join(dir, "client_key"), KnownHosts: knownHosts, Log: logPath}
}

// hangingServer accepts TCP connections and never says anything, like a
// host whose sshd is wedged. It is closed when the test ends.
func hangingServer(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().(*net.TCPAddr).Port
}
