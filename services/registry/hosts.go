package registry

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/node-e2e/harness/internal/run"
)

// HostsTOML returns the hosts.toml that tells containerd to reach the
// registry at host ("127.0.0.1:PORT") over plain HTTP, for pull and resolve.
//
// How containerd 1.6 reads it (remotes/docker/config/hosts.go and
// config_unix.go; the CRI plugin passes its registry config_path as root):
//   - The directory is looked up per registry host as it appears in the
//     image reference, port included: <config_path>/127.0.0.1:5000/hosts.toml.
//     On Unix, a "127.0.0.1_5000_" directory is tried first when it exists,
//     then "127.0.0.1:5000" (and, in later releases, "_default"); WriteHostsDir
//     writes the colon form, the one containerd's docs show for host:port.
//   - Without a hosts.toml, or with config_path set and no entry for the
//     host, containerd 1.6 uses https for every host but docker.io's
//     defaults, so a plain-HTTP registry needs this file.
//   - The [host."http://..."] table is not optional: containerd 1.6 and 1.7
//     (go-toml v1) reject a hosts.toml without any host table ("invalid
//     `host` tree", containerd issue 10027), log the error and fall back to
//     https. "server" is the last host tried.
//   - skip_verify, ca and client only apply to TLS and are left out.
//
// Credentials are not configured here: the kubelet passes the pod's
// imagePullSecrets in the CRI pull request, and containerd answers the
// registry's `WWW-Authenticate: Basic` challenge with them.
func HostsTOML(host string) string {
	url := quoteTOML("http://" + host)
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by the node-e2e harness: its registry serves plain HTTP on loopback.\n")
	fmt.Fprintf(&b, "server = %s\n\n", url)
	fmt.Fprintf(&b, "[host.%s]\n", url)
	fmt.Fprintf(&b, "  capabilities = [\"pull\", \"resolve\"]\n")
	return b.String()
}

// quoteTOML quotes s as a TOML basic string: JSON's escapes are a subset of
// TOML's.
func quoteTOML(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// WriteHostsDir writes configDir/<host>/hosts.toml (directories 0755, file
// 0644) for containerd's registry config_path. The file is replaced
// atomically: containerd reads it on every pull, without a restart.
func WriteHostsDir(configDir, host string) error {
	if err := validateHost(host); err != nil {
		return err
	}
	dir := filepath.Join(configDir, host)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("registry: hosts dir: %w", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // MkdirAll's mode passes through the umask
		return fmt.Errorf("registry: hosts dir: %w", err)
	}
	path := filepath.Join(dir, "hosts.toml")
	if err := run.WriteFile(path, []byte(HostsTOML(host)), 0o644); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	return nil
}

// validateHost accepts HOST:PORT with no path separator, so that it names
// exactly one directory.
func validateHost(host string) error {
	h, port, err := net.SplitHostPort(host)
	if err != nil || h == "" || port == "" || strings.ContainsAny(host, `/\`) || h == "." || h == ".." {
		return fmt.Errorf("registry: hosts dir: host %q: want HOST:PORT, e.g. 127.0.0.1:5000", host)
	}
	return nil
}
