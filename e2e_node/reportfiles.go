package e2e_node

import (
	"fmt"
	"os"
	"path/filepath"
)

// writeReportFile writes a report file at path through gen, which writes a
// file at the path it is given (as Ginkgo's report generators do, following
// symlinks). gen writes a fresh file that this process created, renamed over
// path afterwards: a symlink planted at path is replaced, never written
// through.
func writeReportFile(path string, gen func(tmp string) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	tmp := f.Name()
	f.Close()
	defer os.Remove(tmp)
	if err := gen(tmp); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
