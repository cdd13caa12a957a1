package hostrun

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/node-e2e/harness/runner/remote/internal/sshcmd"
)

// validName is what a host name may look like: it names a directory.
var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// ValidName reports whether name can name a host (and its artifacts
// directory).
func ValidName(name string) bool { return validName.MatchString(name) }

// ParseTargets parses a --hosts value: a comma-separated list of
// name=address[:port] entries, where address is a host name, an IP
// address (IPv6 in brackets when a port follows: [::1]:2222), or a Host
// alias of ~/.ssh/config, optionally prefixed with user@. A bare entry
// without "=" is both the name and the address. Names must be unique.
func ParseTargets(s string) ([]sshcmd.Target, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []sshcmd.Target
	seen := map[string]bool{}
	for _, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		t, err := parseTarget(entry)
		if err != nil {
			return nil, fmt.Errorf("entry %q: %w", entry, err)
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("entry %q: host name %q given twice", entry, t.Name)
		}
		seen[t.Name] = true
		out = append(out, t)
	}
	return out, nil
}

func parseTarget(entry string) (sshcmd.Target, error) {
	const want = "want name=address[:port]"
	if entry == "" {
		return sshcmd.Target{}, fmt.Errorf("empty entry: %s", want)
	}
	name, addr, hasEq := strings.Cut(entry, "=")
	if !hasEq {
		if !ValidName(entry) {
			return sshcmd.Target{}, fmt.Errorf("%s", want)
		}
		return sshcmd.Target{Name: entry, Address: entry}, nil
	}
	if strings.Contains(addr, "=") {
		return sshcmd.Target{}, fmt.Errorf("more than one '=': %s", want)
	}
	if !ValidName(name) {
		return sshcmd.Target{}, fmt.Errorf("host name %q: want letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	host, port, err := splitAddress(addr)
	if err != nil {
		return sshcmd.Target{}, fmt.Errorf("%w: %s", err, want)
	}
	return sshcmd.Target{Name: name, Address: host, Port: port}, nil
}

// splitAddress splits [user@]host[:port], with IPv6 hosts in brackets.
func splitAddress(addr string) (string, int, error) {
	user, host := "", addr
	if i := strings.LastIndex(addr, "@"); i >= 0 {
		user, host = addr[:i+1], addr[i+1:]
		if i == 0 {
			return "", 0, fmt.Errorf("empty user in %q", addr)
		}
	}
	portStr := ""
	switch {
	case strings.HasPrefix(host, "["):
		end := strings.Index(host, "]")
		if end < 0 {
			return "", 0, fmt.Errorf("missing ']' in %q", addr)
		}
		rest := host[end+1:]
		host = host[1:end]
		if rest != "" {
			if !strings.HasPrefix(rest, ":") {
				return "", 0, fmt.Errorf("unexpected %q after ']' in %q", rest, addr)
			}
			portStr = rest[1:]
		}
	case strings.Count(host, ":") == 1:
		host, portStr, _ = strings.Cut(host, ":")
	}
	if host == "" || strings.ContainsAny(host, " \t/") {
		return "", 0, fmt.Errorf("bad address %q", addr)
	}
	port := 0
	if portStr != "" {
		p, err := strconv.Atoi(portStr)
		if err != nil || p < 1 || p > 65535 {
			return "", 0, fmt.Errorf("bad port %q in %q", portStr, addr)
		}
		port = p
	}
	return user + host, port, nil
}
