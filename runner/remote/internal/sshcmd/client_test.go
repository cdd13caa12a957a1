package sshcmd

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestClientArgs(t *testing.T) {
	base := []string{"-o", "BatchMode=yes", "-o", "ConnectTimeout=30", "-o", "ClearAllForwardings=yes"}
	alive := []string{"-a", "-x", "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4"}
	cat := func(parts ...[]string) []string {
		var out []string
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		client Client
		target Target
		want   []string
	}{{
		name:   "defaults",
		target: Target{Name: "a", Address: "10.0.0.1"},
		want:   cat(base, alive, []string{"--", "10.0.0.1", "true"}),
	}, {
		name:   "port, user, key, options",
		client: Client{User: "prow", Key: "/k/id", Options: []string{"-o", "StrictHostKeyChecking=no"}, ConnectTimeout: 1500 * time.Millisecond},
		target: Target{Name: "a", Address: "host.example", Port: 2222},
		want: cat([]string{"-o", "BatchMode=yes", "-o", "ConnectTimeout=2", "-o", "ClearAllForwardings=yes",
			"-i", "/k/id", "-o", "IdentitiesOnly=yes", "-l", "prow", "-p", "2222",
			"-o", "StrictHostKeyChecking=no"}, alive, []string{"--", "host.example", "true"}),
	}, {
		name:   "known hosts file for created VMs",
		client: Client{KnownHostsFile: "/r/known_hosts"},
		target: Target{Name: "vm", Address: "34.1.2.3"},
		want: cat(base, []string{"-o", "UserKnownHostsFile=/r/known_hosts", "-o", "StrictHostKeyChecking=accept-new",
			"-o", "CheckHostIP=no"}, alive, []string{"--", "34.1.2.3", "true"}),
	}, {
		name:   "forwarding asked for in the options is still turned off",
		client: Client{Options: []string{"-A", "-X", "-o", "ForwardAgent=yes", "-L", "8080:localhost:80"}},
		target: Target{Name: "a", Address: "10.0.0.1"},
		want:   cat(base, []string{"-A", "-X", "-o", "ForwardAgent=yes", "-L", "8080:localhost:80"}, alive, []string{"--", "10.0.0.1", "true"}),
	}} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.client.Args(tc.target, "true"); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Args =\n %q\nwant\n %q", got, tc.want)
			}
		})
	}
}

// TestClientArgsForwardNothing asks the real ssh client (ssh -G prints the
// configuration it would use, without connecting) what the arguments
// mean: no agent, no X11, no port forwarding and no tunnel, even when the
// user's options and ~/.ssh/config-style settings ask for them.
func TestClientArgsForwardNothing(t *testing.T) {
	ssh, err := exec.LookPath("ssh")
	if err != nil {
		t.Skip("no ssh client on PATH")
	}
	config := filepath.Join(t.TempDir(), "config")
	os.WriteFile(config, []byte("Host *\n  ForwardAgent yes\n  ForwardX11 yes\n  ForwardX11Trusted yes\n  LocalForward 8080 localhost:80\n  DynamicForward 1080\n  Tunnel yes\n"), 0o600)
	c := Client{Options: []string{"-F", config, "-A", "-X", "-o", "ForwardAgent=yes", "-o", "ClearAllForwardings=no", "-R", "9090:localhost:90"}}
	args := append([]string{"-G"}, c.Args(Target{Name: "a", Address: "host.example"}, "true")...)
	out, err := exec.Command(ssh, args...).Output()
	if err != nil {
		t.Fatalf("ssh %q: %v", args, err)
	}
	got := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok {
			got[k] = v
		}
	}
	for k, want := range map[string]string{"forwardagent": "no", "forwardx11": "no", "clearallforwardings": "yes", "tunnel": "false"} {
		if got[k] != want {
			t.Errorf("ssh -G: %s %q, want %q", k, got[k], want)
		}
	}
	for _, k := range []string{"localforward", "remoteforward", "dynamicforward"} {
		if v, ok := got[k]; ok {
			t.Errorf("ssh -G: %s %s, want none", k, v)
		}
	}
}
