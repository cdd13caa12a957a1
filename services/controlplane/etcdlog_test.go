package controlplane

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestQuietCloseCore(t *testing.T) {
	closedConn := &net.OpError{Op: "accept", Net: "tcp", Err: net.ErrClosed}
	cases := []struct {
		name    string
		closing bool
		msg     string
		err     error
		logged  bool
	}{
		{"closed listener before Close is logged", false, "setting up serving from embedded etcd failed.", http.ErrServerClosed, true},
		{"server closed during Close is dropped", true, "setting up serving from embedded etcd failed.", http.ErrServerClosed, false},
		{"closed connection during Close is dropped", true, "setting up serving from embedded etcd failed.", closedConn, false},
		{"grpc warning during Close is dropped", true, "stopping secure grpc server due to error", fmt.Errorf("wrapped: %w", closedConn), false},
		{"insecure grpc warning during Close is dropped", true, "stopped insecure grpc server due to error", closedConn, false},
		{"cmux closed during Close is dropped", true, "setting up serving from embedded etcd failed.", errors.New("mux: server closed"), false},
		{"another error during Close is logged", true, "setting up serving from embedded etcd failed.", errors.New("bind: address in use"), true},
		{"another message during Close is logged", true, "apply request took too long", http.ErrServerClosed, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			obs, logs := observer.New(zapcore.WarnLevel)
			var closing atomic.Bool
			closing.Store(c.closing)
			lg := zap.New(quietCloseCore{Core: obs, closing: &closing}).With(zap.String("member", "m"))
			lg.Error(c.msg, zap.Error(c.err))
			if got := logs.Len(); (got == 1) != c.logged {
				t.Errorf("%d entries logged, want logged=%v", got, c.logged)
			}
		})
	}
}

func TestQuietCloseCoreSocketWarnings(t *testing.T) {
	const msg = "scheme is http or unix while --client-cert-auth is enabled; ignoring client cert auth for this URL"
	cases := []struct {
		name   string
		msg    string
		url    string
		logged bool
	}{
		{"unix URL without client certificates is dropped", msg, "unix:///run/x/etcd.sock", false},
		{"http URL without client certificates is logged", msg, "http://127.0.0.1:2379", true},
		{"other warning on a unix URL is logged", "something else", "unix:///run/x/etcd.sock", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			obs, logs := observer.New(zapcore.WarnLevel)
			var closing atomic.Bool
			lg := zap.New(quietCloseCore{Core: obs, closing: &closing})
			lg.Warn(c.msg, zap.String("client-url", c.url))
			if got := logs.Len(); (got == 1) != c.logged {
				t.Errorf("%d entries logged, want logged=%v", got, c.logged)
			}
		})
	}
}
