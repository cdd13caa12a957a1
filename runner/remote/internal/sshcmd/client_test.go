package sshcmd

import (
	"reflect"
	"testing"
	"time"
)

func TestClientArgs(t *testing.T) {
	base := []string{"-o", "BatchMode=yes", "-o", "ConnectTimeout=30"}
	alive := []string{"-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4"}
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
		want: cat([]string{"-o", "BatchMode=yes", "-o", "ConnectTimeout=2",
			"-i", "/k/id", "-o", "IdentitiesOnly=yes", "-l", "prow", "-p", "2222",
			"-o", "StrictHostKeyChecking=no"}, alive, []string{"--", "host.example", "true"}),
	}, {
		name:   "known hosts file for created VMs",
		client: Client{KnownHostsFile: "/r/known_hosts"},
		target: Target{Name: "vm", Address: "34.1.2.3"},
		want: cat(base, []string{"-o", "UserKnownHostsFile=/r/known_hosts", "-o", "StrictHostKeyChecking=accept-new",
			"-o", "CheckHostIP=no"}, alive, []string{"--", "34.1.2.3", "true"}),
	}} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.client.Args(tc.target, "true"); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Args =\n %q\nwant\n %q", got, tc.want)
			}
		})
	}
}
