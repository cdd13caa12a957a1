package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"sync"
)

func parseTCPArgs(args []string, stderr io.Writer) (port int, err error) {
	fs := newFlagSet("tcp", "[--port=9000]", stderr)
	fs.IntVar(&port, "port", 9000, "TCP port to listen on, on all addresses (0: any free port, printed at start)")
	if err := parseFlags(fs, args); err != nil {
		return 0, err
	}
	return port, checkPort(fs, port)
}

func tcpMain(args []string, stdout, stderr io.Writer) int {
	port, err := parseTCPArgs(args, stderr)
	if err != nil {
		return usageStatus(err)
	}
	ctx, stop := signalContext()
	defer stop()
	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
	if err != nil {
		fmt.Fprintf(stderr, "testimage tcp: %v\n", err)
		return exitFailure
	}
	logger := log.New(stdout, "", 0)
	logger.Printf("tcp: listening on %s", ln.Addr())
	if err := serveEcho(ctx, ln, logger); err != nil {
		fmt.Fprintf(stderr, "testimage tcp: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// serveEcho accepts connections on ln until ctx ends and writes back to
// each what it reads from it. It logs each connection's start and end. When
// it returns, ln and the open connections are closed and their goroutines
// done.
func serveEcho(ctx context.Context, ln net.Listener, logger *log.Logger) error {
	var (
		mu     sync.Mutex
		closed bool
		conns  = map[net.Conn]struct{}{}
		wg     sync.WaitGroup
	)
	closeAll := func() {
		mu.Lock()
		defer mu.Unlock()
		closed = true
		ln.Close()
		for c := range conns {
			c.Close()
		}
	}
	defer wg.Wait()
	defer closeAll()
	defer context.AfterFunc(ctx, closeAll)()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("accept: %w", err)
		}
		mu.Lock()
		if closed {
			mu.Unlock()
			c.Close()
			return nil
		}
		conns[c] = struct{}{}
		mu.Unlock()
		wg.Go(func() {
			defer func() {
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
				c.Close()
			}()
			logger.Printf("tcp: connection from %s", c.RemoteAddr())
			n, err := io.Copy(c, c)
			if err != nil && ctx.Err() == nil {
				logger.Printf("tcp: connection from %s: %v", c.RemoteAddr(), err)
			}
			logger.Printf("tcp: closed %s after %d bytes", c.RemoteAddr(), n)
		})
	}
}
