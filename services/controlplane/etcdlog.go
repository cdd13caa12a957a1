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
// failed." with http: Server closed, mux: server closed or use of closed
// network connection), over TLS ("secure") and on the unix socket the API
// server uses ("insecure").
var closeNoise = map[string]bool{
	"setting up serving from embedded etcd failed.": true,
	"stopping secure grpc server due to error":      true,
	"stopped secure grpc server due to error":       true,
	"stopping insecure grpc server due to error":    true,
	"stopped insecure grpc server due to error":     true,
}

// socketNoise is what embedded etcd warns at start about a unix client
// URL while client TLS is configured: that URL is served without TLS and
// without client certificates, which is what EtcdConfig.SocketPath asks
// for (the socket's directory keeps out everyone but root).
var socketNoise = map[string]bool{
	"scheme is http or unix while key and cert files are present; ignoring key and cert files":           true,
	"scheme is http or unix while --client-cert-auth is enabled; ignoring client cert auth for this URL": true,
}

// isClosedListener reports whether err is a listener or server closed on
// purpose.
func isClosedListener(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, http.ErrServerClosed) ||
		// cmux and gRPC may hand the error on as text only.
		strings.Contains(err.Error(), "use of closed network connection") ||
		strings.Contains(err.Error(), "mux: server closed")
}

// quietCloseCore passes everything to the wrapped core, except
// socketNoise about a unix:// client URL, and, once closing is set, closeNoise messages whose error is a closed listener are
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
	if socketNoise[e.Message] || c.closing.Load() && closeNoise[e.Message] {
		// Decide in Write, where the fields are known.
		if c.Core.Enabled(e.Level) {
			return ce.AddCore(e, c)
		}
		return ce
	}
	return c.Core.Check(e, ce)
}

func (c quietCloseCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	if socketNoise[e.Message] {
		for _, f := range fields {
			if f.Key == "client-url" && f.Type == zapcore.StringType && strings.HasPrefix(f.String, "unix://") {
				return nil
			}
		}
	}
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
