package hostrun

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Limits bound what a host's results may put on this machine. A host is
// not trusted: without them it could fill the runner's disk or its
// inodes.
type Limits struct {
	// Bytes bounds the size of all the entries together, as their tar
	// headers give it (the bytes written to disk, and those read and
	// discarded for entries not written). Default DefaultLimits().Bytes,
	// 2 GiB.
	Bytes int64
	// FileBytes bounds one entry's size. Default 1 GiB.
	FileBytes int64
	// Entries bounds both the number of tar entries (files, directories,
	// links, anything) and the number of files and directories made,
	// those the tar does not list itself included. Default 20,000.
	Entries int
}

// DefaultLimits returns the default Limits: 2 GiB in all, 1 GiB per
// file, 20,000 entries. A full suite's report directory is a few
// hundred files and well under 1 GiB.
func DefaultLimits() Limits {
	return Limits{Bytes: 2 << 30, FileBytes: 1 << 30, Entries: 20_000}
}

// RefusedError says a host's results broke a Limit or held an entry the
// runner does not unpack: a path outside the results directory, a link
// pointing outside it, a device or FIFO. Nothing of such results is kept.
type RefusedError struct {
	// Entry is the tar entry's name as the host sent it.
	Entry string
	// Reason says what is wrong with it.
	Reason string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("entry %q: %s", e.Entry, e.Reason)
}

// extract unpacks the tar.gz stream r into dir, within lim: regular files
// and directories only, each kept inside dir. Symbolic and hard links
// pointing inside are skipped; links pointing outside, devices, FIFOs and
// paths outside dir are refused (*RefusedError), as is anything past a
// limit, before any of its bytes are written. It returns the number of
// files written. Files already in dir with the same name are replaced.
// On an error, what was written stays in dir: the caller decides whether
// to keep it.
func extract(r io.Reader, dir string, lim Limits) (int, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return 0, err
	}
	tr := tar.NewReader(zr)
	x := extraction{dir: dir, lim: lim, dirs: map[string]bool{".": true}}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return x.files, nil
		}
		if err != nil {
			return x.files, err
		}
		if err := x.entry(h, tr); err != nil {
			return x.files, err
		}
	}
}

// Extract is extract, for other runners' results (cluster mode's report
// tarballs).
func Extract(r io.Reader, dir string, lim Limits) (int, error) { return extract(r, dir, lim) }

// extraction is one extract's running totals.
type extraction struct {
	dir     string
	lim     Limits
	files   int
	entries int // tar headers
	paths   int // files and directories made
	bytes   int64
	dirs    map[string]bool // directories made, relative to dir, slash-separated
}

func (x *extraction) entry(h *tar.Header, body io.Reader) error {
	refuse := func(format string, args ...any) error {
		return &RefusedError{Entry: h.Name, Reason: fmt.Sprintf(format, args...)}
	}
	if x.entries++; x.entries > x.lim.Entries {
		return refuse("more than %d entries (--max-results-files)", x.lim.Entries)
	}
	if h.Size < 0 || h.Size > x.lim.FileBytes {
		return refuse("%s, over the limit of %s per file (--max-result-file-mb)", FormatSize(h.Size), FormatSize(x.lim.FileBytes))
	}
	if x.bytes += h.Size; x.bytes > x.lim.Bytes {
		return refuse("brings the results to %s, over the limit of %s (--max-results-mb)", FormatSize(x.bytes), FormatSize(x.lim.Bytes))
	}
	name := path.Clean(strings.TrimPrefix(h.Name, "./"))
	if h.Name == "" || path.IsAbs(h.Name) || name == ".." || strings.HasPrefix(name, "../") {
		return refuse("points outside the results directory")
	}
	switch h.Typeflag {
	case tar.TypeDir:
		return x.mkdirs(name, h.Name)
	case tar.TypeReg, tar.TypeGNUSparse: // (tar.Reader reads TypeRegA as TypeReg)
		if name == "." {
			return refuse("a file where the results directory is")
		}
		if err := x.mkdirs(path.Dir(name), h.Name); err != nil {
			return err
		}
		if err := x.made(h.Name); err != nil {
			return err
		}
		if err := writeFile(filepath.Join(x.dir, filepath.FromSlash(name)), io.LimitReader(body, h.Size), os.FileMode(h.Mode)); err != nil {
			return err
		}
		x.files++
		return nil
	case tar.TypeSymlink, tar.TypeLink:
		target := h.Linkname
		if h.Typeflag == tar.TypeSymlink && !path.IsAbs(target) {
			target = path.Join(path.Dir(name), target)
		}
		if target = path.Clean(target); path.IsAbs(target) || target == ".." || strings.HasPrefix(target, "../") {
			return refuse("a link to %q, outside the results directory", h.Linkname)
		}
		return nil // links inside are not part of a report either: skipped
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		return refuse("a device or FIFO (type %q)", h.Typeflag)
	default:
		return nil // PAX global headers and the like: nothing to write
	}
}

// mkdirs makes the directory rel (slash-separated, inside x.dir) and its
// parents, counting each one it makes: a deep path in one entry must not
// make unbounded directories.
func (x *extraction) mkdirs(rel, entry string) error {
	if x.dirs[rel] {
		return nil
	}
	if err := x.mkdirs(path.Dir(rel), entry); err != nil {
		return err
	}
	if err := x.made(entry); err != nil {
		return err
	}
	x.dirs[rel] = true
	p := filepath.Join(x.dir, filepath.FromSlash(rel))
	if err := os.Mkdir(p, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	if fi, err := os.Lstat(p); err != nil || !fi.IsDir() {
		return fmt.Errorf("%s: not a directory", p)
	}
	return nil
}

// made counts a file or directory about to be made.
func (x *extraction) made(entry string) error {
	if x.paths++; x.paths > x.lim.Entries {
		return &RefusedError{Entry: entry, Reason: fmt.Sprintf("more than %d files and directories (--max-results-files)", x.lim.Entries)}
	}
	return nil
}

// writeFile writes r to path, replacing a file that is there (never
// following a link) and keeping mode's owner bits and read and execute
// for others.
func writeFile(path string, r io.Reader, mode os.FileMode) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode&0o755|0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
