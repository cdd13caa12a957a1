package hostrun

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func tarGz(t *testing.T, entries []tar.Header, contents []string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for i, h := range entries {
		h.Size = int64(len(contents[i]))
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(contents[i]))
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func TestExtract(t *testing.T) {
	src := tarGz(t, []tar.Header{
		{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "./junit_01.xml", Typeflag: tar.TypeReg, Mode: 0o644},
		{Name: "./kubelet.log", Typeflag: tar.TypeReg, Mode: 0o4777},
		{Name: "./pods/ns_pod/c/0.log", Typeflag: tar.TypeReg, Mode: 0o640},
		{Name: "./pods/ns_pod/c/current", Typeflag: tar.TypeSymlink, Linkname: "0.log"},
		{Name: "./pods/hard", Typeflag: tar.TypeLink, Linkname: "pods/ns_pod/c/0.log"},
	}, []string{"", "<testsuites/>", "kubelet says hi", "container log", "", ""})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "kubelet.log"), []byte("an older, longer version of the file"), 0o600)
	n, err := extract(bytes.NewReader(src), dir, DefaultLimits())
	if err != nil || n != 3 {
		t.Fatalf("extract = %d, %v", n, err)
	}
	for name, want := range map[string]string{"junit_01.xml": "<testsuites/>", "kubelet.log": "kubelet says hi", "pods/ns_pod/c/0.log": "container log"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(b) != want {
			t.Errorf("%s = %q, %v", name, b, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "kubelet.log")); err != nil || fi.Mode() != 0o755 {
		t.Errorf("kubelet.log mode %v, %v: want setuid and others' write dropped", fi.Mode(), err)
	}
	for _, link := range []string{"pods/ns_pod/c/current", "pods/hard"} {
		if _, err := os.Lstat(filepath.Join(dir, link)); err == nil {
			t.Errorf("link %s extracted", link)
		}
	}
}

func TestExtractRefuses(t *testing.T) {
	for _, tc := range []struct {
		h    tar.Header
		want string
	}{
		{tar.Header{Name: "../evil", Typeflag: tar.TypeReg}, "outside the results directory"},
		{tar.Header{Name: "/etc/evil", Typeflag: tar.TypeReg}, "outside the results directory"},
		{tar.Header{Name: "a/../../evil", Typeflag: tar.TypeReg}, "outside the results directory"},
		{tar.Header{Name: "../", Typeflag: tar.TypeDir}, "outside the results directory"},
		{tar.Header{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}, `a link to "/etc/passwd", outside`},
		{tar.Header{Name: "a/link", Typeflag: tar.TypeSymlink, Linkname: "../../etc"}, `a link to "../../etc", outside`},
		{tar.Header{Name: "hard", Typeflag: tar.TypeLink, Linkname: "/etc/shadow"}, `a link to "/etc/shadow", outside`},
		{tar.Header{Name: "hard", Typeflag: tar.TypeLink, Linkname: "../x"}, `a link to "../x", outside`},
		{tar.Header{Name: "sda", Typeflag: tar.TypeBlock, Devmajor: 8}, "a device or FIFO"},
		{tar.Header{Name: "null", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3}, "a device or FIFO"},
		{tar.Header{Name: "fifo", Typeflag: tar.TypeFifo}, "a device or FIFO"},
	} {
		src := tarGz(t, []tar.Header{{Name: "ok.log", Typeflag: tar.TypeReg, Mode: 0o644}, tc.h}, []string{"fine", ""})
		dir := t.TempDir()
		_, err := extract(bytes.NewReader(src), dir, DefaultLimits())
		var refused *RefusedError
		if !errors.As(err, &refused) || refused.Entry != tc.h.Name || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s (type %c): err = %v, want a refusal saying %q", tc.h.Name, tc.h.Typeflag, err, tc.want)
		}
		for _, p := range []string{"/etc/evil", filepath.Join(filepath.Dir(dir), "evil")} {
			if _, err := os.Lstat(p); err == nil {
				t.Errorf("%s written", p)
			}
		}
	}
}

func TestExtractTruncated(t *testing.T) {
	src := tarGz(t, []tar.Header{
		{Name: "junit_01.xml", Typeflag: tar.TypeReg, Mode: 0o644},
		{Name: "big.log", Typeflag: tar.TypeReg, Mode: 0o644},
	}, []string{"<testsuites/>", strings.Repeat("log line\n", 100000)})
	dir := t.TempDir()
	n, err := extract(bytes.NewReader(src[:len(src)/2]), dir, DefaultLimits())
	if err == nil || errors.As(err, new(*RefusedError)) {
		t.Errorf("truncated archive: err = %v, want a read error", err)
	}
	if n != 1 {
		t.Errorf("extracted %d files before the break, want 1", n)
	}
}

// diskUsage returns the bytes of disk dir's tree takes (its blocks).
func diskUsage(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if fi, err := d.Info(); err == nil {
			n += fi.Sys().(*syscall.Stat_t).Blocks * 512
		}
		return nil
	})
	return n
}

// hostileTar streams a tar.gz from write into a pipe, the way a host's
// tar would arrive, and never stores it. It returns the reader and a
// function that closes the reader and reports how many uncompressed bytes
// the writer got out before it was stopped.
func hostileTar(write func(tw *tar.Writer) error) (io.Reader, func() int64) {
	pr, pw := io.Pipe()
	var produced countWriter
	done := make(chan struct{})
	go func() {
		defer close(done)
		zw, _ := gzip.NewWriterLevel(pw, gzip.BestSpeed)
		tw := tar.NewWriter(io.MultiWriter(zw, &produced))
		err := write(tw)
		if err == nil {
			err = tw.Close()
		}
		if err == nil {
			err = zw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr, func() int64 {
		pr.CloseWithError(errors.New("reader gone"))
		<-done
		return produced.n
	}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

const tenGB = 10_000_000_000

// TestExtractRefusesTenGBOfZeros sends 10 GB of zeros, compressed on the
// fly: as one file, under the default limits, and as 8 MiB files under a
// total of 64 MiB. Each is refused at the limit, fast, and the directory
// never holds more than the limit allows.
func TestExtractRefusesTenGBOfZeros(t *testing.T) {
	const chunk = 8 << 20
	for _, tc := range []struct {
		name  string
		lim   Limits
		write func(tw *tar.Writer) error
		want  string
	}{{
		name: "one 10 GB file",
		lim:  DefaultLimits(),
		write: func(tw *tar.Writer) error {
			if err := tw.WriteHeader(&tar.Header{Name: "./kubelet.log", Typeflag: tar.TypeReg, Mode: 0o644, Size: tenGB}); err != nil {
				return err
			}
			_, err := io.CopyN(tw, zeros{}, tenGB)
			return err
		},
		want: `entry "./kubelet.log": 9.3 GB, over the limit of 1.0 GB per file (--max-result-file-mb)`,
	}, {
		name: "10 GB in 8 MiB files",
		lim:  Limits{Bytes: 64 << 20, FileBytes: 16 << 20, Entries: 20_000},
		write: func(tw *tar.Writer) error {
			for i := 0; i < tenGB/chunk; i++ {
				if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("pods/zeros-%04d.log", i), Typeflag: tar.TypeReg, Mode: 0o644, Size: chunk}); err != nil {
					return err
				}
				if _, err := io.CopyN(tw, zeros{}, chunk); err != nil {
					return err
				}
			}
			return nil
		},
		want: `entry "pods/zeros-0008.log": brings the results to 72.0 MB, over the limit of 64.0 MB (--max-results-mb)`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			start := time.Now()
			r, stop := hostileTar(tc.write)
			_, err := extract(r, dir, tc.lim)
			produced := stop()
			d := time.Since(start)
			used := diskUsage(t, dir)
			t.Logf("refused after %s; %d bytes of tar produced, %d bytes on disk", d.Round(time.Millisecond), produced, used)
			if !errors.As(err, new(*RefusedError)) || err.Error() != tc.want {
				t.Errorf("err = %v, want %s", err, tc.want)
			}
			if used > tc.lim.Bytes+1<<20 {
				t.Errorf("%d bytes on disk, over the limit of %d", used, tc.lim.Bytes)
			}
			if produced > 2*tc.lim.Bytes || produced > 1<<30 {
				t.Errorf("read %d bytes of the tar before refusing it", produced)
			}
			if d > 10*time.Second {
				t.Errorf("took %s to refuse", d)
			}
		})
	}
}

// TestExtractRefusesManyEntries sends 100,000 empty files, and one file
// 2,000 directories deep: each is refused at the entry limit.
func TestExtractRefusesManyEntries(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lim   Limits
		write func(tw *tar.Writer) error
		want  string
	}{{
		name: "100,000 files",
		lim:  DefaultLimits(),
		write: func(tw *tar.Writer) error {
			for i := range 100_000 {
				if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("f%06d", i), Typeflag: tar.TypeReg, Mode: 0o644}); err != nil {
					return err
				}
			}
			return nil
		},
		want: `entry "f020000": more than 20000 entries (--max-results-files)`,
	}, {
		name: "a file 2,000 directories deep",
		lim:  Limits{Bytes: 1 << 20, FileBytes: 1 << 20, Entries: 1000},
		write: func(tw *tar.Writer) error {
			return tw.WriteHeader(&tar.Header{Name: strings.Repeat("d/", 2000) + "f", Typeflag: tar.TypeReg, Mode: 0o644})
		},
		want: "more than 1000 files and directories (--max-results-files)",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			start := time.Now()
			r, stop := hostileTar(tc.write)
			_, err := extract(r, dir, tc.lim)
			stop()
			d := time.Since(start)
			var made int
			filepath.WalkDir(dir, func(string, fs.DirEntry, error) error { made++; return nil })
			used := diskUsage(t, dir)
			t.Logf("refused after %s; %d files and directories, %d bytes on disk", d.Round(time.Millisecond), made-1, used)
			if !errors.As(err, new(*RefusedError)) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %s", err, tc.want)
			}
			if made-1 > tc.lim.Entries {
				t.Errorf("%d files and directories made, over the limit of %d", made-1, tc.lim.Entries)
			}
			if used > 100<<20 {
				t.Errorf("%d bytes on disk", used)
			}
			// Making 20,000 empty files takes 2.6 s on an idle disk here.
			if d > 30*time.Second {
				t.Errorf("took %s to refuse", d)
			}
		})
	}
}
