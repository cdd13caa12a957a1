package main

import (
	"bytes"
	"context"
	"io"
	"log"
	"net"
	"strings"
	"testing"
	"time"
)

func TestServeEcho(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- serveEcho(ctx, ln, log.New(&out, "", 0)) }()

	// A client that sends and half-closes gets its bytes back, then EOF.
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "hello\n"); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "hello\n" {
		t.Errorf("echo = %q, %v; want hello", got, err)
	}

	// A connection still open when the server stops is closed.
	open, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	open.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(open, "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(open, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := awaitDone(t, done); err != nil {
		t.Errorf("serveEcho after SIGTERM: %v, want nil", err)
	}
	if n, err := open.Read(make([]byte, 1)); err == nil {
		t.Errorf("open connection read %d bytes after stop, want EOF or reset", n)
	}
	log := out.String()
	for _, want := range []string{"tcp: connection from " + c.LocalAddr().String(), "tcp: closed " + c.LocalAddr().String() + " after 6 bytes"} {
		if !strings.Contains(log, want) {
			t.Errorf("log %q lacks %q", log, want)
		}
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Error("listener still accepts after stop")
	}
}
