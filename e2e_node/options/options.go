package options

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/node-e2e/harness/services"
)

// Config is every flag of e2e_node.test. Names and meanings follow the
// upstream node e2e harness where it has the same flag.
type Config struct {
	// NodeName is the Node's name. Default: the lowercased host name.
	NodeName string
	// KubeletFlags are extra kubelet flags; each value may hold several,
	// separated by spaces. Repeatable.
	KubeletFlags stringList
	// KubeletConfigFile is a KubeletConfiguration merged under the
	// harness's required settings. Default "".
	KubeletConfigFile string
	// ContainerRuntimeEndpoint is the CRI endpoint. If it answers, it is
	// used; otherwise the harness starts its own containerd. Default
	// unix:///run/containerd/containerd.sock.
	ContainerRuntimeEndpoint string
	// ImageServiceEndpoint is the CRI image endpoint. Default: the runtime
	// endpoint.
	ImageServiceEndpoint string
	// ReportDir receives JUnit XML and the logs of every component.
	// Default: $TMPDIR/_artifacts/<run id>.
	ReportDir string
	// ReportPrefix prefixes report file names. Default "".
	ReportPrefix string
	// BearerToken is the admin token of the API server. Default: random
	// per run.
	BearerToken string
	// BearerTokenFile holds the bearer token instead of --bearer-token, so
	// that it does not show in the process list. Default "".
	BearerTokenFile string
	// Host is the API server URL used with --start-services=false when no
	// --kubeconfig or --run-dir says more.
	Host string
	// HostCAFile is a PEM CA bundle that verifies the --host API server's
	// certificate. Default "": the server is not verified (a warning says
	// so).
	HostCAFile string
	// Kubeconfig reaches an existing API server with
	// --start-services=false. Default "".
	Kubeconfig string
	// StartServices brings the node up before the specs. Default true.
	StartServices bool
	// StopServices tears the node down after the specs. Default true.
	StopServices bool
	// RunServicesMode serves the control plane until signalled.
	RunServicesMode bool
	// RunKubeletMode runs the kubelet until signalled.
	RunKubeletMode bool
	// Teardown is a run directory to tear down; then the binary exits.
	Teardown string
	// CleanupStale tears down, before a new run, the runs under RunRoot
	// whose harness was killed. Default true.
	CleanupStale bool
	// AwaitStart (NAMESPACE/POD) selects the start-barrier mode: wait for
	// the pod's start annotation (see package startgate), exit.
	AwaitStart string
	// JanitorAt (unix seconds) selects the janitor mode: sleep until then,
	// delete JanitorDelete's API paths, exit (see package janitor).
	JanitorAt int64
	// JanitorDelete are the janitor's API paths, comma separated.
	JanitorDelete string
	// ListTests prints every spec with its labels and exits.
	ListTests bool
	// ListLabels prints every label the specs use and exits.
	ListLabels bool
	// ServerStartTimeout bounds the wait for each of the control plane and
	// Node Ready. Default 2m.
	ServerStartTimeout time.Duration
	// FeatureGates are passed to kube-apiserver and the kubelet
	// ("A=true,B=false").
	FeatureGates string
	// RunJobController makes the services process also run the Job
	// controller, so that batch/v1 Jobs (with spec.nodeName set) run on the
	// harness's node (cluster mode's tests). Default false.
	RunJobController bool
	// PrepullImages checks, before the specs, that every image the suite
	// uses is present in the runtime. Default true.
	PrepullImages bool
	// RestartKubelet makes the kubelet-mode process restart a kubelet that
	// dies, the way a node's init system would. Default false: a dead
	// kubelet ends the run at once, with its log tail.
	RestartKubelet bool
	// KubeletPath is the kubelet binary. Default: "kubelet" next to this
	// binary, else on $PATH.
	KubeletPath string
	// KubeletLauncher is auto, direct or systemd. Default auto: systemd
	// when /run/systemd/system exists.
	KubeletLauncher string
	// CgroupDriver is the kubelet's and runc's cgroup driver. Default
	// cgroupfs.
	CgroupDriver string
	// NodeLayout is where the harness's kubelet keeps its root dir, pod
	// logs and cgroup root: isolated (the run's own places) or standard
	// (a production node's). Default isolated (nodelayout.go).
	NodeLayout string
	// RunRoot holds run directories. Default $TMPDIR/node-e2e.
	RunRoot string
	// RunDir is the run directory: set by the harness for its child
	// modes, or by a user pointing --start-services=false at a node left
	// running by --stop-services=false.
	RunDir string
	// PodCIDR is the pod network. Default services.DefaultPodCIDR.
	PodCIDR string
	// ContainerdPath is the containerd binary. Default "containerd".
	ContainerdPath string
	// BusyboxPath is Debian's static busybox. Default /bin/busybox.
	BusyboxPath string
	// PausePath is the compiled pause program. Default: "pause" next to
	// this binary.
	PausePath string
	// TestImagePath is the compiled test image program. Default:
	// "testimage" next to this binary.
	TestImagePath string
	// RegistryPort is the port of the harness's image registry on
	// 127.0.0.1. Default 0: a free port the kernel picks.
	RegistryPort int
	// ListImages prints the suite's images and exits.
	ListImages bool
	// ReportHTML renders report.html, the run's page, in the report
	// directory after the run (internal/report). Default true.
	ReportHTML bool
	// ReportHTMLOnly is a report directory whose report.html is rendered
	// again from its files (JUnit or Ginkgo JSON, logs, the run's JSON
	// files); then the binary exits. Default "".
	ReportHTMLOnly string
	// External describes a node the harness did not start (external.go).
	External External
	// explicit holds the names of the flags given on the command line.
	explicit map[string]bool
	// runtimeAnswers is RuntimeAnswers' answer, once it has dialled.
	runtimeAnswers *bool
}

// maxSocketPath is the longest unix socket path containerd accepts.
const maxSocketPath = 104

// NewConfig returns the defaults.
func NewConfig() *Config {
	host, _ := os.Hostname()
	return &Config{
		NodeName:                 strings.ToLower(host),
		ContainerRuntimeEndpoint: "unix:///run/containerd/containerd.sock",
		StartServices:            true,
		StopServices:             true,
		ServerStartTimeout:       services.DefaultStartTimeout,
		PrepullImages:            true,
		CleanupStale:             true,
		KubeletLauncher:          "auto",
		CgroupDriver:             "cgroupfs",
		NodeLayout:               "isolated",
		RunRoot:                  filepath.Join(os.TempDir(), "node-e2e"),
		PodCIDR:                  services.DefaultPodCIDR,
		ContainerdPath:           "containerd",
		BusyboxPath:              "/bin/busybox",
		Host:                     "",
		ReportHTML:               true,
	}
}

// AddFlags binds every field to fs.
func (c *Config) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.NodeName, "node-name", c.NodeName, "name of the Node the kubelet registers")
	fs.Var(&c.KubeletFlags, "kubelet-flags", "extra kubelet flags, space separated; repeatable")
	fs.StringVar(&c.KubeletConfigFile, "kubelet-config-file", c.KubeletConfigFile, "KubeletConfiguration YAML merged under the harness's required settings")
	fs.StringVar(&c.ContainerRuntimeEndpoint, "container-runtime-endpoint", c.ContainerRuntimeEndpoint, "CRI endpoint; used if it answers, otherwise the harness starts its own containerd")
	fs.StringVar(&c.ImageServiceEndpoint, "image-service-endpoint", c.ImageServiceEndpoint, "CRI image endpoint (default: the runtime endpoint)")
	fs.StringVar(&c.ReportDir, "report-dir", c.ReportDir, "directory for JUnit XML and component logs (default $TMPDIR/_artifacts/<run id>)")
	fs.StringVar(&c.ReportPrefix, "report-prefix", c.ReportPrefix, "prefix of report file names")
	fs.StringVar(&c.BearerToken, "bearer-token", c.BearerToken, "API server admin bearer token (default: random per run)")
	fs.StringVar(&c.BearerTokenFile, "bearer-token-file", c.BearerTokenFile, "file holding the bearer token (instead of --bearer-token, which shows in the process list)")
	fs.StringVar(&c.Host, "host", c.Host, "API server URL, with --start-services=false and no --kubeconfig or --run-dir")
	fs.StringVar(&c.HostCAFile, "host-ca-file", c.HostCAFile, "PEM CA bundle that verifies the --host API server (default: not verified)")
	fs.StringVar(&c.Kubeconfig, "kubeconfig", c.Kubeconfig, "kubeconfig of an existing API server, with --start-services=false")
	fs.BoolVar(&c.StartServices, "start-services", c.StartServices, "bring up the node (control plane, runtime, kubelet) before the specs")
	fs.BoolVar(&c.StopServices, "stop-services", c.StopServices, "tear the node down after the specs; false leaves it running and prints how to reach and stop it")
	fs.BoolVar(&c.RunServicesMode, "run-services-mode", c.RunServicesMode, "serve etcd, kube-apiserver and the namespace controller until signalled")
	fs.BoolVar(&c.RunKubeletMode, "run-kubelet-mode", c.RunKubeletMode, "run the kubelet until signalled")
	fs.StringVar(&c.Teardown, "teardown", c.Teardown, "tear down the node of this run directory (left by --stop-services=false) and exit")
	fs.BoolVar(&c.CleanupStale, "cleanup-stale", c.CleanupStale, "before starting, tear down runs under --run-root whose harness was killed (their node.json says what they created)")
	fs.BoolVar(&c.ListTests, "list-tests", c.ListTests, "print every spec with its labels and exit")
	fs.BoolVar(&c.ListLabels, "list-labels", c.ListLabels, "print every label the specs use and exit")
	fs.DurationVar(&c.ServerStartTimeout, "server-start-timeout", c.ServerStartTimeout, "how long to wait for the control plane and for the Node to be Ready")
	fs.StringVar(&c.FeatureGates, "feature-gates", c.FeatureGates, "feature gates for kube-apiserver and the kubelet, A=true,B=false")
	fs.BoolVar(&c.RunJobController, "run-job-controller", c.RunJobController, "the services process also runs the Job controller (Jobs must set nodeName: no scheduler runs)")
	fs.BoolVar(&c.PrepullImages, "prepull-images", c.PrepullImages, "make sure every image the suite uses is in the runtime before the specs")
	fs.BoolVar(&c.RestartKubelet, "restart-kubelet", c.RestartKubelet, "restart the kubelet when it dies during the run (otherwise a dead kubelet ends the run at once)")
	fs.StringVar(&c.KubeletPath, "kubelet-path", c.KubeletPath, "kubelet binary (default: next to e2e_node.test, else $PATH)")
	fs.StringVar(&c.KubeletLauncher, "kubelet-launcher", c.KubeletLauncher, "how to launch the kubelet: auto (systemd-run if /run/systemd/system exists), direct or systemd")
	fs.StringVar(&c.CgroupDriver, "cgroup-driver", c.CgroupDriver, "cgroup driver of the kubelet and runc: cgroupfs or systemd")
	fs.StringVar(&c.RunRoot, "run-root", c.RunRoot, "directory that holds run directories")
	fs.StringVar(&c.RunDir, "run-dir", c.RunDir, "run directory (set for child modes; with --start-services=false, a node left by --stop-services=false)")
	fs.StringVar(&c.PodCIDR, "pod-cidr", c.PodCIDR, "pod network CIDR of the CNI bridge")
	fs.StringVar(&c.ContainerdPath, "containerd-path", c.ContainerdPath, "containerd binary the harness starts")
	fs.StringVar(&c.BusyboxPath, "busybox-path", c.BusyboxPath, "static busybox binary for the test images (Debian busybox-static)")
	fs.StringVar(&c.PausePath, "pause-path", c.PausePath, "compiled pause program for the sandbox image (default: next to e2e_node.test)")
	fs.StringVar(&c.TestImagePath, "test-image-path", c.TestImagePath, "compiled test image program (default: testimage next to e2e_node.test)")
	fs.IntVar(&c.RegistryPort, "registry-port", c.RegistryPort, "port of the harness's image registry on 127.0.0.1 (0: a free port)")
	fs.BoolVar(&c.ListImages, "list-images", c.ListImages, "print every image the suite uses and exit")
	fs.BoolVar(&c.ReportHTML, "report-html", c.ReportHTML, "render report.html, the run's page, in the report directory after the run")
	fs.StringVar(&c.ReportHTMLOnly, "report-html-only", c.ReportHTMLOnly, "render report.html again in this existing report directory, then exit")
	c.addExternalFlags(fs)
	c.addJanitorFlags(fs)
	c.addAwaitStartFlags(fs)
	c.addNodeLayoutFlag(fs)
}

// NoteExplicit records which flags of fs were given, once fs is parsed:
// where a flag's default means "the harness's node", a node the harness did
// not start is described only by what the user said.
func (c *Config) NoteExplicit(fs *flag.FlagSet) {
	c.explicit = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { c.explicit[f.Name] = true })
}

// Explicit reports whether flag name was given on the command line.
func (c *Config) Explicit(name string) bool { return c.explicit[name] }

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, " ") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// modeCount counts the exclusive modes requested.
func (c *Config) modeCount() int {
	n := 0
	for _, b := range []bool{c.RunServicesMode, c.RunKubeletMode, c.Teardown != "", c.JanitorAt != 0, c.AwaitStart != ""} {
		if b {
			n++
		}
	}
	return n
}

// Validate checks the flags alone, without touching the host.
func (c *Config) Validate() error {
	var errs []string
	if c.modeCount() > 1 {
		errs = append(errs, "--run-services-mode, --run-kubelet-mode, --teardown, --janitor-at and --await-start are exclusive: give one")
	}
	if c.AwaitStart != "" {
		if _, _, err := c.AwaitStartPod(); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if c.JanitorAt != 0 || c.JanitorDelete != "" {
		if err := c.JanitorConfig().Validate(); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if c.NodeName == "" || c.NodeName != strings.ToLower(c.NodeName) {
		errs = append(errs, fmt.Sprintf("--node-name=%q: give a lowercase DNS name", c.NodeName))
	}
	if c.ServerStartTimeout <= 0 {
		errs = append(errs, fmt.Sprintf("--server-start-timeout=%s: must be positive, e.g. 2m", c.ServerStartTimeout))
	}
	switch c.CgroupDriver {
	case "cgroupfs", "systemd":
	default:
		errs = append(errs, fmt.Sprintf("--cgroup-driver=%q: want cgroupfs or systemd", c.CgroupDriver))
	}
	if !c.StartServices && c.RunDir == "" && c.Kubeconfig == "" && c.Host == "" {
		errs = append(errs, "--start-services=false needs a node to test: give --run-dir (of a run left by --stop-services=false), --kubeconfig or --host")
	}
	if c.ContainerRuntimeEndpoint != "" && !strings.HasPrefix(c.ContainerRuntimeEndpoint, "unix://") && !strings.HasPrefix(c.ContainerRuntimeEndpoint, "/") {
		errs = append(errs, fmt.Sprintf("--container-runtime-endpoint=%q: want unix:///path/to/socket", c.ContainerRuntimeEndpoint))
	}
	if c.BearerToken != "" && c.BearerTokenFile != "" {
		errs = append(errs, "--bearer-token and --bearer-token-file both given: give one (the file keeps the token out of the process list)")
	}
	if c.HostCAFile != "" && c.Host == "" {
		errs = append(errs, "--host-ca-file needs --host (a --kubeconfig carries its own CA)")
	}
	if c.RegistryPort < 0 || c.RegistryPort > 65535 {
		errs = append(errs, fmt.Sprintf("--registry-port=%d: want 0 (a free port) or 1-65535", c.RegistryPort))
	}
	if !filepath.IsAbs(c.RunRoot) {
		errs = append(errs, fmt.Sprintf("--run-root=%q: give an absolute path", c.RunRoot))
	} else if sock := c.NewLayout(time.Now()).ContainerdSocket() + ".ttrpc"; len(sock) > maxSocketPath {
		errs = append(errs, fmt.Sprintf("--run-root=%q is too long: containerd's sockets under it (%s) would exceed %d bytes; choose a shorter --run-root", c.RunRoot, sock, maxSocketPath))
	}
	errs = append(errs, c.validateExternal()...)
	errs = append(errs, c.validateNodeLayout()...)
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
}

// LoadBearerTokenFile reads --bearer-token-file into BearerToken.
func (c *Config) LoadBearerTokenFile() error {
	if c.BearerTokenFile == "" {
		return nil
	}
	b, err := os.ReadFile(c.BearerTokenFile)
	if err != nil {
		return fmt.Errorf("--bearer-token-file=%s: %w (give a file holding the token)", c.BearerTokenFile, err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" || strings.ContainsAny(tok, " \t\n") {
		return fmt.Errorf("--bearer-token-file=%s: want one token on one line", c.BearerTokenFile)
	}
	c.BearerToken = tok
	return nil
}
