package proc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// maxTailBytes bounds how much of a log Tail reads.
const maxTailBytes = 64 << 10

// Tail returns the last n lines of the file at path, or a note saying why it
// could not be read. It never fails: it is used while reporting errors.
func Tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	off := st.Size() - maxTailBytes
	if off < 0 {
		off = 0
	}
	buf, err := io.ReadAll(io.NewSectionReader(f, off, st.Size()-off))
	if err != nil {
		return "(log unreadable: " + err.Error() + ")"
	}
	return LastLines(buf, n)
}

// LastLines returns the last n non-empty-terminated lines of b.
func LastLines(b []byte, n int) string {
	b = bytes.TrimRight(b, "\n")
	if len(b) == 0 {
		return "(log is empty)"
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Indent prefixes each line of s with prefix.
func Indent(s, prefix string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}

// WithLogTail returns err annotated with the last n lines of the log at
// path, labelled label (e.g. "kubelet log"). An *ExitError already carries
// its own log's tail: it is returned as it is when path is that log.
func WithLogTail(err error, label, path string, n int) error {
	var ee *ExitError
	if errors.As(err, &ee) && ee.LogPath == path {
		return err
	}
	return fmt.Errorf("%w\n  %s: %s\n%s", err, label, path, Indent(Tail(path, n), "  | "))
}
