package hostrun

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// trailerLimit bounds what is read after the end of the results' tar (the
// rest of its last record and gzip's trailer, normally a few KB).
const trailerLimit = 1 << 20

// collect fetches the host's report directory into the artifacts
// directory. The tar stream is unpacked as it arrives, within
// h.c.Limits, into a staging directory, then moved into place. If the
// transfer breaks off, whatever arrived is kept. If the results are
// refused (a limit, an entry pointing outside, a device), ssh is stopped
// and nothing of them is kept; the error names the host and wraps the
// *RefusedError.
func (h *hostRun) collect(ctx context.Context) error {
	staging, err := os.MkdirTemp(h.dir, ".results-")
	if err != nil {
		err = fmt.Errorf("collect: %w", err)
		h.report("collect", 0, err, "")
		return err
	}
	defer os.RemoveAll(staging)

	ctx, stop := context.WithCancel(ctx)
	defer stop()
	pr, pw := io.Pipe()
	type extracted struct {
		files int
		err   error
	}
	done := make(chan extracted, 1)
	go func() {
		n, err := extract(pr, staging, h.c.Limits)
		if err == nil {
			io.CopyN(io.Discard, pr, trailerLimit)
		}
		// Past this, ssh's writes fail; a refusal also stops ssh at once,
		// in case the host keeps the connection open without writing.
		pr.CloseWithError(errors.New("results no longer read"))
		var refused *RefusedError
		if errors.As(err, &refused) {
			stop()
		}
		done <- extracted{n, err}
	}()
	d, err := h.ssh(ctx, "collect", h.c.Timeouts.Collect, collectCommand(h.ws, h.root), nil, pw)
	pw.CloseWithError(cmp.Or(err, io.EOF))
	x := <-done

	var refused *RefusedError
	switch {
	case errors.As(x.err, &refused):
		err = &collectRefused{host: h.t.Name, addr: h.t.String(), err: refused}
		fmt.Fprintf(h.log, "%v\n", err)
		h.report("collect", d, err, "")
		return err
	case err == nil && x.err != nil:
		err = fmt.Errorf("collect: %w", x.err)
	}
	if merr := moveInto(staging, h.dir); merr != nil && err == nil {
		err = fmt.Errorf("collect: %w", merr)
	}
	h.report("collect", d, err, fmt.Sprintf("%d files in %s", x.files, h.dir))
	return err
}

// collectRefused is a refused collect, naming the host.
type collectRefused struct {
	host, addr string
	err        *RefusedError
}

func (e *collectRefused) Error() string {
	return fmt.Sprintf("collect: refused the results of host %s (%s): %v; nothing of them was kept", e.host, e.addr, e.err)
}

func (e *collectRefused) Unwrap() error { return e.err }

// moveInto moves the files under src into the same places under dst,
// making directories as needed and replacing files there. It never
// follows a link in dst.
func moveInto(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil || rel == "." {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			if err := os.Mkdir(target, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
				return err
			}
			if fi, err := os.Lstat(target); err != nil || !fi.IsDir() {
				return fmt.Errorf("%s: not a directory", target)
			}
			return nil
		}
		return os.Rename(p, target)
	})
}
