package registry

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Config describes the harness's registry. Build it with NewConfig and change
// only the fields that need changing.
type Config struct {
	// Address is the TCP address to listen on. It must be a loopback IP
	// literal with a port; port 0 picks a free port, read back with Host.
	// The harness binds --registry-port to the port. Default "127.0.0.1:0".
	Address string
	// PrivatePrefix marks private repositories: every /v2/<name>/... request
	// whose repository name starts with it needs Username and Password
	// (HTTP basic auth). It must be a repository path ending in "/".
	// Default "private/".
	PrivatePrefix string
	// Username is the user name that opens private repositories and that
	// every write (push) needs. It must not contain ':'. Default
	// "node-e2e".
	Username string
	// Password goes with Username. Default: a random password from
	// NewCredentials, different for every NewConfig.
	Password string
	// LogWriter receives one line per request: time, method, path, status,
	// response bytes and duration. Headers are never logged. Default nil:
	// no request log.
	LogWriter io.Writer
	// ShutdownTimeout bounds how long Stop waits for requests in flight
	// (and for connections that never sent one) before closing them.
	// Default 5s.
	ShutdownTimeout time.Duration
}

// Defaults of Config.
const (
	DefaultAddress       = "127.0.0.1:0"
	DefaultPrivatePrefix = "private/"
	DefaultUsername      = "node-e2e"
	DefaultShutdown      = 5 * time.Second
)

// NewConfig returns a Config with every default filled in, including fresh
// random credentials.
func NewConfig() Config {
	user, pass := NewCredentials()
	return Config{
		Address:         DefaultAddress,
		PrivatePrefix:   DefaultPrivatePrefix,
		Username:        user,
		Password:        pass,
		ShutdownTimeout: DefaultShutdown,
	}
}

// NewCredentials returns DefaultUsername and a random password of 26
// characters (128 bits from crypto/rand, base32), safe in a docker config
// and a basic-auth header.
func NewCredentials() (username, password string) {
	return DefaultUsername, rand.Text()
}

// repoPrefix matches a repository path as the distribution spec defines
// repository names, followed by "/".
var repoPrefix = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*/$`)

// Validate reports every problem with c, joined. It has no side effects.
func (c Config) Validate() error {
	var errs []error
	if err := validateAddress(c.Address); err != nil {
		errs = append(errs, err)
	}
	if !strings.HasSuffix(c.PrivatePrefix, "/") {
		errs = append(errs, fmt.Errorf("registry: config: private prefix %q must end in \"/\"", c.PrivatePrefix))
	} else if !repoPrefix.MatchString(c.PrivatePrefix) {
		errs = append(errs, fmt.Errorf("registry: config: private prefix %q is not a repository path (lowercase letters, digits, separators . _ -)", c.PrivatePrefix))
	}
	if c.Username == "" {
		errs = append(errs, errors.New("registry: config: username for private repositories is empty"))
	} else if strings.Contains(c.Username, ":") {
		errs = append(errs, errors.New("registry: config: username must not contain ':' (basic auth)"))
	}
	if c.Password == "" {
		errs = append(errs, errors.New("registry: config: password for private repositories is empty (see NewCredentials)"))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("registry: config: shutdown timeout %s must be positive", c.ShutdownTimeout))
	}
	return errors.Join(errs...)
}

// validateAddress checks that addr is a loopback IP literal with a port.
func validateAddress(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("registry: config: address %q: %w: want 127.0.0.1:PORT", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("registry: config: address %q is not a loopback IP: the registry must listen on loopback only, e.g. 127.0.0.1:%s", addr, port)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("registry: config: port %q in address %q is not a number from 0 to 65535: set --registry-port to a free port, or 0 for any", port, addr)
	}
	return nil
}
