// Command envtest-anchor runs controller-runtime's envtest control plane
// (separate etcd and kube-apiserver processes) until SIGINT or SIGTERM, as
// the anchor `make bench` compares the harness's control plane with. It
// adds one thing to envtest's defaults: a static admin token
// (--token-auth-file, group system:masters), so that the benchmark polls
// /readyz with an admin token on every subject alike. Its output (and
// etcd's and kube-apiserver's) goes to stderr.
//
//	envtest-anchor --etcd=PATH --kube-apiserver=PATH --token=TOKEN
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

func main() {
	etcd := flag.String("etcd", "", "path to the etcd binary")
	apiserver := flag.String("kube-apiserver", "", "path to the kube-apiserver binary")
	token := flag.String("token", "", "admin bearer token (system:masters)")
	flag.Parse()
	if *etcd == "" || *apiserver == "" || *token == "" {
		fmt.Fprintln(os.Stderr, "envtest-anchor: --etcd, --kube-apiserver and --token are required")
		os.Exit(2)
	}
	if err := run(*etcd, *apiserver, *token); err != nil {
		fmt.Fprintf(os.Stderr, "envtest-anchor: %v\n", err)
		os.Exit(1)
	}
}

func run(etcd, apiserver, token string) (err error) {
	start := time.Now()
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()
	dir, err := os.MkdirTemp("", "envtest-anchor-")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()
	tokens := filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(tokens, []byte(token+",admin,admin,system:masters\n"), 0o600); err != nil {
		return err
	}
	api := &envtest.APIServer{Path: apiserver, Out: os.Stderr, Err: os.Stderr}
	api.Configure().Append("token-auth-file", tokens)
	env := &envtest.Environment{
		ControlPlane: envtest.ControlPlane{
			Etcd:      &envtest.Etcd{Path: etcd, Out: os.Stderr, Err: os.Stderr},
			APIServer: api,
		},
		ControlPlaneStartTimeout: time.Minute,
		ControlPlaneStopTimeout:  time.Minute,
	}
	// Stop is safe after a failed Start: it stops what started.
	defer func() { err = errors.Join(err, env.Stop()) }()
	if _, err := env.Start(); err != nil {
		return fmt.Errorf("start envtest: %w", err)
	}
	fmt.Fprintf(os.Stderr, "envtest-anchor: control plane ready in %s\n", time.Since(start).Round(time.Millisecond))
	<-ctx.Done()
	fmt.Fprintln(os.Stderr, "envtest-anchor: stopping")
	return nil
}
