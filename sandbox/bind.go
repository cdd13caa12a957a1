package sandbox

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Bind is a host path mounted into the sandbox.
type Bind struct {
	// Source is the host path (a directory or a file), absolute.
	Source string
	// Target is the path inside the sandbox, absolute. Default: Source.
	Target string
	// ReadOnly makes the mount read-only. Default: false (read-write: the
	// sandbox writes through to the host).
	ReadOnly bool
}

// ParseBind parses SRC[:DST[:ro|rw]], the form of the --bind flag. Both
// paths must be absolute; DST defaults to SRC.
func ParseBind(s string) (Bind, error) {
	parts := strings.Split(s, ":")
	if len(parts) > 3 {
		return Bind{}, fmt.Errorf("bind %q: want SRC[:DST[:ro|rw]] (paths with ':' are not supported)", s)
	}
	b := Bind{Source: parts[0]}
	if len(parts) > 1 {
		b.Target = parts[1]
	}
	if len(parts) > 2 {
		switch parts[2] {
		case "ro":
			b.ReadOnly = true
		case "rw":
		default:
			return Bind{}, fmt.Errorf("bind %q: mode %q: want ro or rw", s, parts[2])
		}
	}
	if b.Target == "" {
		b.Target = b.Source
	}
	if err := b.validate(); err != nil {
		return Bind{}, err
	}
	b.Source, b.Target = filepath.Clean(b.Source), filepath.Clean(b.Target)
	return b, nil
}

func (b Bind) validate() error {
	if b.Source == "" || !filepath.IsAbs(b.Source) {
		return fmt.Errorf("bind %s: source %q: want an absolute path", b, b.Source)
	}
	target := b.Target
	if target == "" {
		target = b.Source
	}
	if err := checkTarget(target); err != nil {
		return fmt.Errorf("bind %s: %w", b, err)
	}
	return nil
}

// String returns the bind in the form ParseBind reads.
func (b Bind) String() string {
	s := b.Source
	if b.Target != "" && b.Target != b.Source || b.ReadOnly {
		t := b.Target
		if t == "" {
			t = b.Source
		}
		s += ":" + t
	}
	if b.ReadOnly {
		s += ":ro"
	}
	return s
}
