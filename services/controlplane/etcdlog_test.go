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
