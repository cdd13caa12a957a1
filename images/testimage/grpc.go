package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// grpcHealthOptions are the flags of grpc-health.
type grpcHealthOptions struct {
	port    int
	service string
	status  healthpb.HealthCheckResponse_ServingStatus
}

func parseGRPCHealthArgs(args []string, stderr io.Writer) (grpcHealthOptions, error) {
	o := grpcHealthOptions{status: healthpb.HealthCheckResponse_SERVING}
	fs := newFlagSet("grpc-health", "[--port=8081] [--service=NAME] [--status=SERVING|NOT_SERVING]", stderr)
	fs.IntVar(&o.port, "port", 8081, "TCP port to listen on, on all addresses (0: any free port, printed at start)")
	fs.StringVar(&o.service, "service", "", `service whose status --status sets ("": the server as a whole)`)
	status := fs.String("status", "SERVING", "status reported for --service: SERVING or NOT_SERVING")
	if err := parseFlags(fs, args); err != nil {
		return o, err
	}
	if err := checkPort(fs, o.port); err != nil {
		return o, err
	}
	switch *status {
	case "SERVING":
		o.status = healthpb.HealthCheckResponse_SERVING
	case "NOT_SERVING":
		o.status = healthpb.HealthCheckResponse_NOT_SERVING
	default:
		return o, usageError(fs, "--status %q: want SERVING or NOT_SERVING", *status)
	}
	return o, nil
}

func grpcHealthMain(args []string, stdout, stderr io.Writer) int {
	o, err := parseGRPCHealthArgs(args, stderr)
	if err != nil {
		return usageStatus(err)
	}
	ctx, stop := signalContext()
	defer stop()
	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", o.port))
	if err != nil {
		fmt.Fprintf(stderr, "testimage grpc-health: %v\n", err)
		return exitFailure
	}
	logger := log.New(stdout, "", 0)
	logger.Printf("grpc-health: listening on %s", ln.Addr())
	if err := serveGRPCHealth(ctx, o, ln, logger); err != nil {
		fmt.Fprintf(stderr, "testimage grpc-health: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// serveGRPCHealth serves the standard health service on ln until ctx ends.
// The server as a whole ("") is SERVING unless o sets it; o.service has
// o.status; any other service is unknown (NOT_FOUND). Each call is logged.
func serveGRPCHealth(ctx context.Context, o grpcHealthOptions, ln net.Listener, logger *log.Logger) error {
	hs := health.NewServer()
	hs.SetServingStatus(o.service, o.status)
	srv := grpc.NewServer(
		grpc.UnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			logCall(logger, info.FullMethod, req)
			return handler(ctx, req)
		}),
		grpc.StreamInterceptor(func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
			logCall(logger, info.FullMethod, nil)
			return handler(srv, ss)
		}),
	)
	healthpb.RegisterHealthServer(srv, hs)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve grpc: %w", err)
	case <-ctx.Done():
		logger.Printf("grpc-health: %v, shutting down", context.Cause(ctx))
	}
	// Watch streams never end on their own: after the grace, cut them.
	hs.Shutdown()
	stopped := make(chan struct{})
	go func() { srv.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(shutdownGrace):
		srv.Stop()
		<-stopped
	}
	return nil
}

// logCall writes one line for a gRPC call, with the service asked about
// when req is a health check request.
func logCall(logger *log.Logger, method string, req any) {
	if r, ok := req.(*healthpb.HealthCheckRequest); ok {
		logger.Printf("grpc method=%s service=%q", method, r.GetService())
		return
	}
	logger.Printf("grpc method=%s", method)
}
