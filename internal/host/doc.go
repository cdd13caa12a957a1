// Package host is the harness's plumbing for this machine's kernel state:
// mounts (/proc/self/mountinfo: parsing, lookups, unmounting), cgroup
// directories (creation with cpuset inheritance, removal deepest first)
// and processes found by their command line. It is shared by services
// (the node) and sandbox (systemd-sandbox) and imports neither, nor the
// API server.
package host
