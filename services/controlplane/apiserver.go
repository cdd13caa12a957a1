package controlplane

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/pflag"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/rest"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
	"k8s.io/kubernetes/cmd/kube-apiserver/app/options"

	"github.com/node-e2e/harness/internal/proc"
)

// APIServerConfig configures kube-apiserver. All files are produced per run
// by internal/pki.
type APIServerConfig struct {
	// EtcdURL is etcd's client URL (https, or unix for a socket only root
	// may reach). Required.
	EtcdURL string
	// EtcdCAFile verifies etcd's serving certificate; EtcdCertFile and
	// EtcdKeyFile are the client pair the API server presents to etcd,
	// which admits no client without one. Each is passed when set (all
	// three over https, none over a unix socket).
	EtcdCAFile, EtcdCertFile, EtcdKeyFile string
	// CAFile is the cluster CA: it verifies client certificates.
	CAFile string
	// CertFile and KeyFile are the serving certificate.
	CertFile, KeyFile string
	// KubeletClientCertFile and KubeletClientKeyFile authenticate the API
	// server to the kubelet (logs, exec).
	KubeletClientCertFile, KubeletClientKeyFile string
	// ServiceAccountKeyFile and ServiceAccountSigningKeyFile verify and sign
	// service-account tokens.
	ServiceAccountKeyFile, ServiceAccountSigningKeyFile string
	// TokenFile is the static token file (--token-auth-file).
	TokenFile string
	// ServiceClusterIPRange is the service CIDR. Default 10.0.0.0/24.
	ServiceClusterIPRange string
	// FeatureGates is passed to --feature-gates when non-empty.
	FeatureGates string
	// RuntimeConfig is passed to --runtime-config when non-empty.
	RuntimeConfig string
	// StartTimeout bounds the wait for /readyz. Default 60s.
	StartTimeout time.Duration
}

// Args returns kube-apiserver's command line for c, without the secure port:
// the server is handed a listener on 127.0.0.1 instead.
//
// Pods get no service-account token: no controller-manager runs to create
// the default ServiceAccount, so the ServiceAccount admission plugin is off.
func (c APIServerConfig) Args() []string {
	cidr := c.ServiceClusterIPRange
	if cidr == "" {
		cidr = "10.0.0.0/24"
	}
	args := []string{"--etcd-servers=" + c.EtcdURL}
	for _, f := range []struct{ flag, file string }{
		{"--etcd-cafile=", c.EtcdCAFile}, {"--etcd-certfile=", c.EtcdCertFile}, {"--etcd-keyfile=", c.EtcdKeyFile},
	} {
		if f.file != "" {
			args = append(args, f.flag+f.file)
		}
	}
	args = append(args,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--tls-cert-file="+c.CertFile,
		"--tls-private-key-file="+c.KeyFile,
		"--client-ca-file="+c.CAFile,
		"--token-auth-file="+c.TokenFile,
		"--anonymous-auth=false",
		"--authorization-mode=Node,RBAC",
		"--enable-admission-plugins=NodeRestriction",
		"--disable-admission-plugins=ServiceAccount",
		"--service-account-issuer=https://node-e2e.local",
		"--service-account-key-file="+c.ServiceAccountKeyFile,
		"--service-account-signing-key-file="+c.ServiceAccountSigningKeyFile,
		"--kubelet-client-certificate="+c.KubeletClientCertFile,
		"--kubelet-client-key="+c.KubeletClientKeyFile,
		"--kubelet-preferred-address-types=InternalIP,Hostname",
		"--allow-privileged=true",
		"--service-cluster-ip-range="+cidr,
		// The kubernetes Service's endpoint would be a loopback address,
		// which Endpoints may not hold.
		"--endpoint-reconciler-type=none",
		"--profiling=false",
		// On shutdown, keep the listener open until the requests in flight
		// have drained: the listener (connClosingListener) then closes
		// the connections left as they go quiet instead of waiting out
		// HTTP/2's one-second GOAWAY timeout. (Watches are left to end
		// with their clients, the API server's own informers among them:
		// ended by the server first, those informers would retry and log
		// errors as they stop.)
		"--shutdown-send-retry-after=true",
	)
	if c.FeatureGates != "" {
		args = append(args, "--feature-gates="+c.FeatureGates)
	}
	if c.RuntimeConfig != "" {
		args = append(args, "--runtime-config="+c.RuntimeConfig)
	}
	return args
}

// APIServer is kube-apiserver running in this process.
type APIServer struct {
	cfg      APIServerConfig
	url      string
	cancel   context.CancelFunc
	done     chan struct{}
	errCh    chan error
	runErr   error
	loopback *rest.Config
}

// NewAPIServer returns an APIServer for cfg; Start runs it.
func NewAPIServer(cfg APIServerConfig) *APIServer {
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 60 * time.Second
	}
	return &APIServer{cfg: cfg}
}

// URL is the server's https URL, valid after Start.
func (s *APIServer) URL() string { return s.url }

// Err delivers an error if the server stops by itself after Start.
func (s *APIServer) Err() <-chan error { return s.errCh }

// Start runs the API server on a kernel-chosen loopback port and returns
// once /readyz answers ok.
func (s *APIServer) Start(ctx context.Context) error {
	opts := options.NewServerRunOptions()
	fs := pflag.NewFlagSet("kube-apiserver", pflag.ContinueOnError)
	for _, f := range opts.Flags().FlagSets {
		fs.AddFlagSet(f)
	}
	if err := fs.Parse(s.cfg.Args()); err != nil {
		return fmt.Errorf("apiserver: flags: %w", err)
	}
	if err := opts.GenericServerRunOptions.ComponentGlobalsRegistry.Set(); err != nil {
		return fmt.Errorf("apiserver: feature gates: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("apiserver: listen on loopback: %w", err)
	}
	opts.SecureServing.Listener = newConnClosingListener(ln)
	opts.SecureServing.BindPort = ln.Addr().(*net.TCPAddr).Port
	s.url = "https://" + ln.Addr().String()

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	completed, err := opts.Complete(runCtx)
	if err != nil {
		ln.Close()
		return fmt.Errorf("apiserver: complete options: %w", err)
	}
	if errs := completed.Validate(); len(errs) != 0 {
		ln.Close()
		return fmt.Errorf("apiserver: invalid options: %w", utilerrors.NewAggregate(errs))
	}
	config, err := app.NewConfig(completed)
	if err != nil {
		ln.Close()
		return fmt.Errorf("apiserver: config: %w", err)
	}
	// bootstrap.go runs these hooks' work without their one-second wait.
	config.KubeAPIs.ControlPlane.Generic.DisabledPostStartHooks.Insert(replacedHooks...)
	// No OpenAPI v2 document (/openapi/v2): built eagerly at start by each
	// of the three servers and merged by the aggregator, it held about
	// 30 MB of the heap and 0.1 s of the start. kubectl reads OpenAPI v3
	// (explain, apply's patches; apply falls back to its built-in types
	// without v2), the kubelet reads neither, and server-side apply's
	// types come from the v3 configuration, which stays.
	config.KubeAPIs.ControlPlane.Generic.OpenAPIConfig = nil
	config.ApiExtensions.GenericConfig.OpenAPIConfig = nil
	config.Aggregator.GenericConfig.OpenAPIConfig = nil
	cc, err := config.Complete()
	if err != nil {
		ln.Close()
		return fmt.Errorf("apiserver: complete config: %w", err)
	}
	chain, err := app.CreateServerChain(cc)
	if err != nil {
		ln.Close()
		return fmt.Errorf("apiserver: create server chain: %w", err)
	}
	if err := addBootstrapHooks(chain.GenericAPIServer); err != nil {
		ln.Close()
		return err
	}
	s.loopback = chain.GenericAPIServer.LoopbackClientConfig
	prepared, err := chain.PrepareRun()
	if err != nil {
		ln.Close()
		return fmt.Errorf("apiserver: prepare: %w", err)
	}
	s.done = make(chan struct{})
	s.errCh = make(chan error, 1)
	go func() {
		defer close(s.done)
		err := prepared.Run(runCtx)
		if runCtx.Err() == nil {
			if err == nil {
				err = errors.New("stopped by itself")
			}
			s.errCh <- fmt.Errorf("apiserver: %w", err)
		}
		s.runErr = err
	}()
	if err := s.awaitReady(ctx); err != nil {
		_ = s.Stop()
		return err
	}
	return nil
}

// awaitReady polls /readyz every 20 ms with the loopback client's credentials.
func (s *APIServer) awaitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeoutCause(ctx, s.cfg.StartTimeout, fmt.Errorf("apiserver: /readyz not ok after %s", s.cfg.StartTimeout))
	defer cancel()
	client, err := readyzClient(s.cfg.CAFile)
	if err != nil {
		return err
	}
	token := s.loopback.BearerToken
	last := "no answer yet"
	err = proc.Await(ctx, 20*time.Millisecond, func() (bool, error) {
		select {
		case err := <-s.errCh:
			return false, err
		default:
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			last = err.Error()
			return false, nil
		}
		resp.Body.Close()
		last = resp.Status
		return resp.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		return fmt.Errorf("%w (last /readyz: %s)", err, last)
	}
	return nil
}

func readyzClient(caFile string) (*http.Client, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("apiserver: read CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("apiserver: no certificate in %s", caFile)
	}
	return &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}, nil
}

// LoopbackConfig is a privileged client config for in-process controllers.
func (s *APIServer) LoopbackConfig() *rest.Config { return rest.CopyConfig(s.loopback) }

// Stop shuts the server down and waits for it; idempotent, safe without Start.
func (s *APIServer) Stop() error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	if s.done != nil {
		<-s.done
	}
	return nil
}
