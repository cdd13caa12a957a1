package main

import (
	"bytes"
	"context"
	"log"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

const (
	serving    = healthpb.HealthCheckResponse_SERVING
	notServing = healthpb.HealthCheckResponse_NOT_SERVING
)

// check is one health check and its expected answer.
type check struct {
	service  string
	want     healthpb.HealthCheckResponse_ServingStatus
	wantCode codes.Code
}

func TestGRPCHealth(t *testing.T) {
	cases := []struct {
		desc   string
		opts   grpcHealthOptions
		checks []check
	}{
		{"defaults", grpcHealthOptions{status: serving}, []check{
			{"", serving, codes.OK},
			{"other", 0, codes.NotFound},
		}},
		{"server not serving", grpcHealthOptions{status: notServing}, []check{
			{"", notServing, codes.OK},
		}},
		{"service not serving", grpcHealthOptions{service: "db", status: notServing}, []check{
			{"", serving, codes.OK},
			{"db", notServing, codes.OK},
			{"other", 0, codes.NotFound},
		}},
		{"service serving", grpcHealthOptions{service: "db", status: serving}, []check{
			{"db", serving, codes.OK},
		}},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			var out bytes.Buffer
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			client, done := startGRPCHealth(t, ctx, c.opts, log.New(&out, "", 0))
			for _, ch := range c.checks {
				rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
				resp, err := client.Check(rctx, &healthpb.HealthCheckRequest{Service: ch.service})
				rcancel()
				if code := status.Code(err); code != ch.wantCode {
					t.Errorf("Check(%q): %v, want code %v", ch.service, err, ch.wantCode)
					continue
				}
				if err == nil && resp.GetStatus() != ch.want {
					t.Errorf("Check(%q) = %v, want %v", ch.service, resp.GetStatus(), ch.want)
				}
			}
			cancel()
			if err := awaitDone(t, done); err != nil {
				t.Errorf("serveGRPCHealth after SIGTERM: %v", err)
			}
			if want := `grpc method=/grpc.health.v1.Health/Check service="` + c.checks[0].service + `"`; !strings.Contains(out.String(), want) {
				t.Errorf("log %q lacks %q", out.String(), want)
			}
		})
	}
}

// TestGRPCHealthStopsWithWatchOpen checks that an open Watch stream, which
// never ends by itself, delays the exit by at most the grace period.
func TestGRPCHealthStopsWithWatchOpen(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client, done := startGRPCHealth(t, ctx, grpcHealthOptions{status: serving}, log.New(&bytes.Buffer{}, "", 0))
	wctx, wcancel := context.WithCancel(context.Background())
	defer wcancel()
	stream, err := client.Watch(wctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := stream.Recv(); err != nil || resp.GetStatus() != serving {
		t.Fatalf("Watch first answer %v, %v; want SERVING", resp, err)
	}
	cancel()
	start := time.Now()
	if err := awaitDone(t, done); err != nil {
		t.Errorf("serveGRPCHealth after SIGTERM: %v", err)
	}
	if d := time.Since(start); d > shutdownGrace+time.Second {
		t.Errorf("stopping took %v, want at most %v", d, shutdownGrace)
	}
}

// startGRPCHealth runs serveGRPCHealth on 127.0.0.1:0 and returns a client
// of it and a channel with the server's result.
func startGRPCHealth(t *testing.T, ctx context.Context, o grpcHealthOptions, logger *log.Logger) (healthpb.HealthClient, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serveGRPCHealth(ctx, o, ln, logger) }()
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return healthpb.NewHealthClient(conn), done
}
