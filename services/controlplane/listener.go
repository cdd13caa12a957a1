package controlplane

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// quietConnTimeout is how long a connection must have moved no byte,
// after the API server closed its listener, before connClosingListener
// closes it; quietConnMax bounds the whole wait.
const (
	quietConnTimeout = 100 * time.Millisecond
	quietConnMax     = 5 * time.Second
)

// connClosingListener is the API server's listener. It remembers the
// connections it accepted and, once the server closes it, closes each one
// still open as soon as it has been quiet for quietConnTimeout.
//
// kube-apiserver closes its listener after the requests in flight have
// drained (--shutdown-send-retry-after), when it also stops its own
// informers; what is left are idle HTTP/2 connections (its informers',
// the controllers', the test process's, a kubectl's). Go's HTTP/2 server
// gives each such client one second (a fixed GOAWAY timeout) to hang up,
// and shutdown waits for all of them; closing a connection that carries
// nothing loses nothing.
type connClosingListener struct {
	net.Listener
	mu     sync.Mutex
	conns  map[*trackedConn]struct{}
	closed bool
}

func newConnClosingListener(ln net.Listener) *connClosingListener {
	return &connClosingListener{Listener: ln, conns: map[*trackedConn]struct{}{}}
}

// Accept accepts a connection, with TCP keep-alive as kube-apiserver sets
// it (its own wrapper does so only for a bare *net.TCPConn).
func (l *connClosingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetKeepAlive(true)
		_ = tc.SetKeepAlivePeriod(3 * time.Minute)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		c.Close()
		return nil, net.ErrClosed
	}
	t := &trackedConn{Conn: c, l: l}
	t.touch()
	l.conns[t] = struct{}{}
	return t, nil
}

// Close stops listening and closes the open connections as they go quiet.
func (l *connClosingListener) Close() error {
	err := l.Listener.Close()
	l.mu.Lock()
	first := !l.closed
	l.closed = true
	l.mu.Unlock()
	if first {
		go l.closeQuiet(quietConnTimeout, quietConnMax)
	}
	return err
}

// closeQuiet closes every connection that has been quiet for quiet, until
// none is left; after max it closes the rest.
func (l *connClosingListener) closeQuiet(quiet, max time.Duration) {
	deadline := time.Now().Add(max)
	for {
		now := time.Now()
		var toClose []*trackedConn
		l.mu.Lock()
		left := len(l.conns)
		for c := range l.conns {
			if now.After(deadline) || now.Sub(c.lastActive()) >= quiet {
				toClose = append(toClose, c)
			}
		}
		l.mu.Unlock()
		for _, c := range toClose {
			c.Close()
		}
		if left == len(toClose) {
			return
		}
		time.Sleep(quiet / 5)
	}
}

// open is the number of accepted connections not closed yet.
func (l *connClosingListener) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

type trackedConn struct {
	net.Conn
	l      *connClosingListener
	active atomic.Int64 // UnixNano of the last byte read or written
	once   sync.Once
}

func (c *trackedConn) touch()                { c.active.Store(time.Now().UnixNano()) }
func (c *trackedConn) lastActive() time.Time { return time.Unix(0, c.active.Load()) }

func (c *trackedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.touch()
	}
	return n, err
}

func (c *trackedConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	if n > 0 {
		c.touch()
	}
	return n, err
}

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
	})
	return err
}
