package controlplane

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

func TestConnClosingListenerClosesQuietConnections(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := newConnClosingListener(inner)
	accepted := make(chan net.Conn, 3)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	idle, busy, done := dial(), dial(), dial()
	var srv []net.Conn
	for range 3 {
		srv = append(srv, <-accepted)
	}
	// The server's end of each connection, by the client's address.
	byLocal := map[string]net.Conn{}
	for _, c := range srv {
		byLocal[c.RemoteAddr().String()] = c
	}
	srvBusy := byLocal[busy.LocalAddr().String()]
	byLocal[done.LocalAddr().String()].Close() // one the server closed itself
	if got := ln.open(); got != 2 {
		t.Fatalf("open connections after the server closed one = %d, want 2", got)
	}
	time.Sleep(2 * quietConnTimeout)
	// The busy connection keeps writing: it is not quiet.
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := srvBusy.Write([]byte("x")); err != nil {
				return
			}
			time.Sleep(quietConnTimeout / 10)
		}
	}()
	go func() { _, _ = io.Copy(io.Discard, busy) }()
	time.Sleep(quietConnTimeout / 5)
	start := time.Now()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	_ = idle.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := idle.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("idle connection: read after Close = %v, want EOF (closed by the listener)", err)
	}
	if d := time.Since(start); d > quietConnTimeout {
		t.Errorf("idle connection closed %s after Close, want at once", d)
	}
	time.Sleep(3 * quietConnTimeout)
	if got := ln.open(); got != 1 {
		t.Errorf("open connections while one keeps writing = %d, want 1", got)
	}
	close(stop)
	waitUntil := time.Now().Add(5 * time.Second)
	for ln.open() != 0 && time.Now().Before(waitUntil) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := ln.open(); got != 0 {
		t.Errorf("open connections after the busy one went quiet = %d, want 0", got)
	}
	if _, ok := <-accepted; ok {
		t.Error("Accept returned a connection after Close")
	}
}
