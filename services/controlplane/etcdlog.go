package controlplane

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"

	"go.etcd.io/etcd/client/pkg/v3/logutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// closeNoise is what embedded etcd logs, at error or warning level, when
// Close shuts its own listeners: every serving goroutine reports the
// closed listener as a failure ("setting up serving from embedded etcd
// failed." with http: Server closed or use of closed network connection).
var closeNoise = map[string]bool{
	"setting up serving from embedded etcd failed.": true,
	"stopping secure grpc server due to error":      true,
	"stopped secure grpc server due to error":       true,
}

// isClosedListener reports whether err is a listener or server closed on
// purpose.
func isClosedListener(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, http.ErrServerClosed) ||
		// cmux and gRPC may hand the error on as text only.
		strings.Contains(err.Error(), "use of closed network connection")
}

// quietCloseCore passes everything to the wrapped core, except that once
// closing is set, closeNoise messages whose error is a closed listener are
// dropped: they are the expected result of Close, not failures. The same
// messages with any other error, or before Close, are written as etcd
// logged them.
type quietCloseCore struct {
	zapcore.Core
	closing *atomic.Bool
}

func (c quietCloseCore) With(fields []zapcore.Field) zapcore.Core {
	return quietCloseCore{Core: c.Core.With(fields), closing: c.closing}
}

func (c quietCloseCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.closing.Load() && closeNoise[e.Message] {
		// Decide in Write, where the fields are known.
		if c.Core.Enabled(e.Level) {
			return ce.AddCore(e, c)
		}
		return ce
	}
	return c.Core.Check(e, ce)
}

func (c quietCloseCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	if c.closing.Load() && closeNoise[e.Message] {
		for _, f := range fields {
			if err, ok := f.Interface.(error); ok && f.Type == zapcore.ErrorType && isClosedListener(err) {
				return nil
			}
		}
	}
	return c.Core.Write(e, fields)
}

// etcdLogger is etcd's default JSON logger on stderr at warning level,
// with the closed-listener noise of Close dropped once closing is set.
func etcdLogger(closing *atomic.Bool) (*zap.Logger, error) {
	lg, err := logutil.CreateDefaultZapLogger(zap.WarnLevel)
	if err != nil {
		return nil, err
	}
	return lg.WithOptions(zap.WrapCore(func(core zapcore.Core) zapcore.Core {
		return quietCloseCore{Core: core, closing: closing}
	})), nil
}
