package sandbox

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/node-e2e/harness/internal/proc"
	"golang.org/x/sys/unix"
)

// consoleTailBytes bounds the console output kept in memory.
const consoleTailBytes = 64 << 10

// console is the pty that the sandbox's PID 1 has as /dev/console. The
// host side reads it into a bounded tail (and, if asked, a log file).
type console struct {
	master *os.File
	// peer is the pty's other end, handed to PID 1. The host keeps it open
	// until close: PID 1 closes its standard streams before it opens
	// /dev/console, and the master reads EIO while no one holds the peer.
	peer *os.File
	path string // the peer's path on the host, /dev/pts/N
	tail tailBuffer
	log  *os.File
	done chan struct{}
}

// ptmxPath is the multiplexer of the devpts instance that /dev/pts/N names.
// Not /dev/ptmx: with several devpts instances stacked on /dev/pts (as on
// this kind of host), /dev/ptmx allocates from the lowest while the path
// /dev/pts/N resolves in the topmost, another instance and another pty.
const ptmxPath = "/dev/pts/ptmx"

// openConsole allocates a pty; logPath, if set, receives its output.
func openConsole(logPath string) (*console, error) {
	m, err := os.OpenFile(ptmxPath, os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open console pty: %w", err)
	}
	var peer, n int
	var ioctlErr error
	// SyscallConn, not Fd: Fd would make the master blocking, and Close
	// could then no longer interrupt the reader.
	rc, err := m.SyscallConn()
	if err == nil {
		err = rc.Control(func(fd uintptr) {
			if ioctlErr = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); ioctlErr != nil {
				return
			}
			if n, ioctlErr = unix.IoctlGetInt(int(fd), unix.TIOCGPTN); ioctlErr != nil {
				return
			}
			r, _, errno := unix.Syscall(unix.SYS_IOCTL, fd, unix.TIOCGPTPEER, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC)
			if errno != 0 {
				ioctlErr = errno
			}
			peer = int(r)
		})
	}
	if err = firstErr(err, ioctlErr); err != nil {
		m.Close()
		return nil, fmt.Errorf("open console pty peer: %w", err)
	}
	c := &console{master: m, peer: os.NewFile(uintptr(peer), "console"), path: fmt.Sprintf("/dev/pts/%d", n), done: make(chan struct{})}
	if logPath != "" {
		if c.log, err = os.Create(logPath); err != nil {
			c.master.Close()
			c.peer.Close()
			return nil, fmt.Errorf("console log: %w", err)
		}
	}
	go c.copy()
	return c, nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func (c *console) copy() {
	defer close(c.done)
	var w io.Writer = &c.tail
	if c.log != nil {
		w = io.MultiWriter(&c.tail, c.log)
	}
	// Ends with EIO once every holder of the peer has closed it (after
	// close), or when close closes the master.
	_, _ = io.Copy(w, c.master)
}

// close lets the reader drain the output for up to wait (it ends by itself
// once no process holds the peer any more), then closes the files and
// waits for the reader. Call it once PID 1 has exited.
func (c *console) close(wait time.Duration) {
	c.peer.Close()
	select {
	case <-c.done:
	case <-time.After(wait):
	}
	c.master.Close()
	<-c.done
	if c.log != nil {
		c.log.Close()
	}
}

// Tail returns the last n lines of the console output, cleaned of carriage
// returns and terminal escape sequences.
func (c *console) Tail(n int) string { return proc.LastLines([]byte(c.tail.String()), n) }

// tailBuffer keeps the last consoleTailBytes bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - consoleTailBytes; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

var escapeRE = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

// String returns the kept output, cleaned for reading.
func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return cleanConsole(string(t.buf))
}

// cleanConsole removes carriage returns and terminal escape sequences.
func cleanConsole(s string) string {
	s = escapeRE.ReplaceAllString(s, "")
	return strings.ReplaceAll(s, "\r", "")
}
