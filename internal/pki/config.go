package pki

import (
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"time"
)

// Config says where and for what a bundle is generated. Build it with
// NewConfig and change only the fields that need changing.
type Config struct {
	// Dir receives the files. It is created with mode 0700 when absent; an
	// existing directory that is group- or world-accessible is chmod-ed to
	// 0700. Required; no default.
	Dir string
	// NodeName is the kubelet's node name: the common name of its serving
	// certificate and the user system:node:<NodeName> of its token. It must
	// be a lowercase DNS-1123 subdomain, as the kubelet lowercases host
	// names. Default: the lowercased host name.
	NodeName string
	// APIServerSANs are the IP addresses and DNS names in the API server's
	// serving certificate; each entry is an IP if it parses as one.
	// Default: 127.0.0.1, localhost.
	APIServerSANs []string
	// KubeletSANs are the node's IP addresses and DNS names for the
	// kubelet's serving certificate; NodeName is always added.
	// Default: 127.0.0.1, localhost.
	KubeletSANs []string
	// AdminToken is the bearer token of the admin user (AdminUser). When
	// empty, Generate makes a random one. Default: empty.
	AdminToken string
	// Validity is how long every certificate is valid from generation.
	// Default: 24h.
	Validity time.Duration
}

// DefaultValidity is the default certificate lifetime.
const DefaultValidity = 24 * time.Hour

// NewConfig returns a Config with every default filled in except Dir.
func NewConfig() Config {
	host, _ := os.Hostname() // an empty default fails Validate with a clear message
	return Config{
		NodeName:      strings.ToLower(strings.TrimSpace(host)),
		APIServerSANs: []string{"127.0.0.1", "localhost"},
		KubeletSANs:   []string{"127.0.0.1", "localhost"},
		Validity:      DefaultValidity,
	}
}

// dnsSubdomain matches a lowercase DNS-1123 subdomain (length checked apart).
var dnsSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

// dnsSAN matches a DNS name allowed in a certificate: labels of letters,
// digits and hyphens, optionally behind a leading wildcard label.
var dnsSAN = regexp.MustCompile(`^(\*\.)?[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$`)

// Validate reports every problem with c, joined. It has no side effects.
func (c Config) Validate() error {
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("pki: config: dir is required"))
	}
	if len(c.NodeName) > 253 || !dnsSubdomain.MatchString(c.NodeName) {
		errs = append(errs, fmt.Errorf("pki: config: node name %q is not a lowercase DNS-1123 subdomain", c.NodeName))
	}
	if len(c.APIServerSANs) == 0 {
		errs = append(errs, errors.New("pki: config: api server needs at least one SAN"))
	}
	for _, s := range c.APIServerSANs {
		if err := validSAN(s); err != nil {
			errs = append(errs, fmt.Errorf("pki: config: api server SAN: %w", err))
		}
	}
	for _, s := range c.KubeletSANs {
		if err := validSAN(s); err != nil {
			errs = append(errs, fmt.Errorf("pki: config: kubelet SAN: %w", err))
		}
	}
	if c.AdminToken != "" {
		if err := validToken(c.AdminToken); err != nil {
			errs = append(errs, fmt.Errorf("pki: config: admin token: %w", err))
		}
	}
	if c.Validity <= 0 {
		errs = append(errs, fmt.Errorf("pki: config: validity %v is not positive", c.Validity))
	}
	return errors.Join(errs...)
}

// String describes c with the admin token redacted.
func (c Config) String() string {
	return fmt.Sprintf("pki.Config{Dir:%q NodeName:%q APIServerSANs:%q KubeletSANs:%q AdminToken:%s Validity:%v}",
		c.Dir, c.NodeName, c.APIServerSANs, c.KubeletSANs, redact(c.AdminToken), c.Validity)
}

// GoString is String, so that %#v does not print the token either.
func (c Config) GoString() string { return c.String() }

func validSAN(s string) error {
	if net.ParseIP(s) != nil {
		return nil
	}
	if len(s) > 253 || !dnsSAN.MatchString(s) {
		return fmt.Errorf("%q is neither an IP address nor a DNS name", s)
	}
	return nil
}

// splitSANs sorts sans into IP addresses and DNS names, dropping duplicates
// and keeping the first-seen order.
func splitSANs(sans ...string) (ips []net.IP, names []string) {
	seen := make(map[string]bool, len(sans))
	for _, s := range sans {
		ip := net.ParseIP(s)
		key := s
		if ip != nil {
			key = ip.String()
		} else {
			key = strings.ToLower(s)
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		if ip != nil {
			ips = append(ips, ip)
		} else {
			names = append(names, s)
		}
	}
	return ips, names
}

func redact(secret string) string {
	if secret == "" {
		return `""`
	}
	return "<redacted>"
}
