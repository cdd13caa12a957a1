package pki

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

const (
	dirMode  fs.FileMode = 0o700
	fileMode fs.FileMode = 0o600
)

// ensureDir makes dir a private directory. It creates dir (and missing
// parents, all 0700) when absent and returns the topmost directory it
// created, or "" when dir already existed; an existing dir that is group-
// or world-accessible is chmod-ed to 0700.
func ensureDir(dir string) (created string, err error) {
	st, err := os.Stat(dir)
	switch {
	case err == nil:
		if !st.IsDir() {
			return "", fmt.Errorf("%s is not a directory", dir)
		}
		if st.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(dir, dirMode); err != nil {
				return "", fmt.Errorf("restrict %s to 0700: %w", dir, err)
			}
		}
		return "", nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("stat %s: %w", dir, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", dir, err)
	}
	top := abs
	for parent := filepath.Dir(top); parent != top; parent = filepath.Dir(top) {
		if _, err := os.Lstat(parent); err == nil {
			break
		}
		top = parent
	}
	if err := os.MkdirAll(abs, dirMode); err != nil {
		return "", fmt.Errorf("create %s: %w", dir, err)
	}
	// MkdirAll's mode is subject to the umask; make sure of 0700.
	if err := os.Chmod(abs, dirMode); err != nil {
		return top, fmt.Errorf("restrict %s to 0700: %w", dir, err)
	}
	return top, nil
}
