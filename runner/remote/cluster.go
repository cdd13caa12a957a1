package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/node-e2e/harness/images"
	"github.com/node-e2e/harness/runner/internal/suite"
	"github.com/node-e2e/harness/runner/remote/internal/archive"
	"github.com/node-e2e/harness/runner/remote/internal/cluster"
	"github.com/node-e2e/harness/runner/remote/internal/hostrun"
	"github.com/node-e2e/harness/services/registry"
)

// clusterFlags are the flags that select cluster mode: given any of them,
// the run command runs the suite as Jobs on a cluster's nodes.
var clusterFlags = []string{"kubeconfig", "context", "nodes", "node-selector", "registry", "registry-credentials-file",
	"replicas-per-node", "sync-timeout", "detach", "workload", "ttl", "suite-cpu-request"}

// isClusterRun reports whether the run command's flags select cluster
// mode.
func isClusterRun(flags []string) bool {
	return slices.ContainsFunc(clusterFlags, func(f string) bool { return suite.HasFlag(flags, f) })
}

// kubeFlags say which cluster: shared by every cluster subcommand.
type kubeFlags struct {
	// Kubeconfig is the kubeconfig file. Default: $KUBECONFIG, then
	// ~/.kube/config (client-go's loading rules).
	Kubeconfig string
	// Context is the kubeconfig context. Default its current context.
	Context string
}

func (k *kubeFlags) addFlags(fs *flag.FlagSet) {
	fs.StringVar(&k.Kubeconfig, "kubeconfig", k.Kubeconfig, "kubeconfig of the cluster whose nodes to test (default $KUBECONFIG, then ~/.kube/config)")
	fs.StringVar(&k.Context, "context", k.Context, "kubeconfig context (default the current context)")
}

// clusterConfig is the cluster run's flags, as typed.
type clusterConfig struct {
	kubeFlags
	// Nodes is "a,b" or "all"; NodeSelector a label selector. One of them.
	Nodes, NodeSelector string
	// Registry is HOST[:PORT][/PREFIX], where the suite image and the
	// spec images go and the nodes pull from. Required.
	Registry string
	// RegistryCredentialsFile holds user:password for Registry (0600).
	// Default none: an anonymous registry.
	RegistryCredentialsFile string
	// ReplicasPerNode is the suite pods per node. Default 1.
	ReplicasPerNode int
	// SyncTimeout bounds the barrier. Default 5m.
	SyncTimeout time.Duration
	// Detach returns once the specs started.
	Detach bool
	// Workload is job or pod. Default job.
	Workload string
	// TTL is how long the run may outlive --test-timeout. Default 1h.
	TTL time.Duration
	// APIServer is the API server's URL as the nodes reach it. Default:
	// the kubernetes Service.
	APIServer string
	// SuiteCPURequest is each suite pod's CPU request. Default 100m.
	SuiteCPURequest string
	// RunID names the run. Default <yyyymmdd-hhmmss>-<4 hex>.
	RunID string
	// ResultsDir receives <node>[-<i>]/. Default $ARTIFACTS, else
	// /tmp/_artifacts/<run id>.
	ResultsDir string
	// BinDir holds e2e_node.test, ginkgo, pause and testimage; Busybox is
	// busybox-static. The suite image is built from them.
	BinDir, Busybox string
	// TestTimeout is each suite pod's activeDeadlineSeconds. Default 1h.
	TestTimeout time.Duration
	// Suite selects the specs, as for the other modes.
	Suite suite.Config
}

func newClusterConfig() clusterConfig {
	return clusterConfig{
		ReplicasPerNode: 1,
		SyncTimeout:     5 * time.Minute,
		Workload:        string(cluster.WorkloadJob),
		TTL:             time.Hour,
		SuiteCPURequest: "100m",
		BinDir:          archive.NewConfig().BinDir,
		Busybox:         "/bin/busybox",
		TestTimeout:     hostrun.NewConfig().Timeouts.Test,
		Suite:           suite.NewConfig(),
	}
}

// mixed holds the SSH and GCE target flags, only to refuse them.
type mixed struct{ hosts, images, imageConfig string }

func (c *clusterConfig) addFlags(fs *flag.FlagSet, m *mixed) {
	c.kubeFlags.addFlags(fs)
	fs.StringVar(&c.Nodes, "nodes", c.Nodes, "nodes to test, comma-separated, or all (cluster mode)")
	fs.StringVar(&c.NodeSelector, "node-selector", c.NodeSelector, "label selector of the nodes to test, instead of --nodes")
	fs.StringVar(&c.Registry, "registry", c.Registry, "HOST[:PORT][/PREFIX] of a registry the nodes pull from: the suite image and the spec images are pushed there")
	fs.StringVar(&c.RegistryCredentialsFile, "registry-credentials-file", c.RegistryCredentialsFile, "file holding user:password for --registry (mode 0600); the suite pods get it through a Secret")
	fs.IntVar(&c.ReplicasPerNode, "replicas-per-node", c.ReplicasPerNode, "suite pods per node, started together")
	fs.DurationVar(&c.SyncTimeout, "sync-timeout", c.SyncTimeout, "bound on every suite pod running; if one does not, none starts and the run is deleted")
	fs.BoolVar(&c.Detach, "detach", c.Detach, "return once every suite pod started its specs, printing the run id and the attach, status, collect and cancel commands")
	fs.StringVar(&c.Workload, "workload", c.Workload, "job (a batch/v1 Job per node and replica) or pod (bare pods, for clusters without a Job controller)")
	fs.DurationVar(&c.TTL, "ttl", c.TTL, "how long the run may outlive --test-timeout before reap --expired (or the janitor) deletes it")
	fs.StringVar(&c.APIServer, "api-server", c.APIServer, "the API server's https URL as the suite pods reach it from the node's network (default the kubernetes Service, https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT)")
	fs.StringVar(&c.SuiteCPURequest, "suite-cpu-request", c.SuiteCPURequest, "each suite pod's CPU request (a Kubernetes quantity: 100m, 2); a node that cannot give it rejects the pod (OutOfcpu) and no suite pod starts")
	fs.StringVar(&c.RunID, "run-id", c.RunID, "the run's id (default <yyyymmdd-hhmmss>-<4 hex>)")
	fs.StringVar(&c.ResultsDir, "results-dir", c.ResultsDir, "where each node's artifacts go, in <results-dir>/<node>[-<i>]/ (default $ARTIFACTS, else /tmp/_artifacts/<run id>)")
	fs.StringVar(&c.BinDir, "bin-dir", c.BinDir, "directory with e2e_node.test, ginkgo, pause and testimage, for the suite image")
	fs.StringVar(&c.Busybox, "busybox", c.Busybox, "busybox-static for the suite image (Debian's busybox-static)")
	fs.DurationVar(&c.TestTimeout, "test-timeout", c.TestTimeout, "bound on each suite pod (its activeDeadlineSeconds); the specs get it less margins unless --timeout says")
	c.Suite.AddFlags(fs)
	fs.StringVar(&m.hosts, "hosts", "", "(not with cluster flags)")
	fs.StringVar(&m.images, "images", "", "(not with cluster flags)")
	fs.StringVar(&m.imageConfig, "image-config-file", "", "(not with cluster flags)")
}

// clusterPlan is a validated cluster run.
type clusterPlan struct {
	kube       kubeFlags
	resultsDir string
	// run is the Run without its suite image and nodes (known after the
	// build and the preflight).
	run          cluster.Run
	nodes        []string // --nodes, or ["all"]
	nodeSelector string
	registry     registry.Remote
	detach       bool
	syncTimeout  time.Duration
	binaries     images.SuiteBinaries
	selection    suite.Selection
}

// validate checks c and turns it into a plan; testArgs are the
// e2e_node.test flags after "--". It reads files but changes nothing.
func (c clusterConfig) validate(testArgs []string, getenv func(string) string, m mixed) (clusterPlan, error) {
	var errs []error
	bad := func(flagName, format string, args ...any) {
		errs = append(errs, fmt.Errorf("--%s: %s", flagName, fmt.Sprintf(format, args...)))
	}
	for _, f := range []struct{ name, v string }{{"hosts", m.hosts}, {"images", m.images}, {"image-config-file", m.imageConfig}} {
		if f.v != "" {
			bad(f.name, "SSH and GCE targets cannot be mixed with cluster mode (--kubeconfig, --nodes, --registry ...): run them separately")
		}
	}
	p := clusterPlan{kube: c.kubeFlags, detach: c.Detach, syncTimeout: c.SyncTimeout, nodeSelector: c.NodeSelector}
	id := c.RunID
	if id == "" {
		id = cluster.NewRunID(time.Now())
	} else if errs := validation.IsDNS1123Label(id); len(errs) > 0 || len(id) > 40 {
		bad("run-id", "%q: want a DNS label (lowercase letters, digits and '-') of at most 40 characters", id)
	}
	p.resultsDir = c.ResultsDir
	if p.resultsDir == "" {
		p.resultsDir = getenv("ARTIFACTS")
	}
	if p.resultsDir == "" {
		p.resultsDir = filepath.Join("/tmp/_artifacts", id)
	}
	if c.Kubeconfig != "" {
		if _, err := os.Stat(c.Kubeconfig); err != nil {
			bad("kubeconfig", "%v", err)
		}
	}
	switch {
	case c.Nodes != "" && c.NodeSelector != "":
		bad("nodes", "give --nodes or --node-selector, not both")
	case c.Nodes == "" && c.NodeSelector == "":
		bad("nodes", "which nodes? give --nodes=a,b, --nodes=all or --node-selector")
	case c.Nodes != "":
		for _, n := range strings.Split(c.Nodes, ",") {
			if n = strings.TrimSpace(n); n != "" {
				p.nodes = append(p.nodes, n)
			}
		}
		if len(p.nodes) == 0 {
			bad("nodes", "%q names no node", c.Nodes)
		}
	}
	if c.Registry == "" {
		bad("registry", "required: HOST[:PORT][/PREFIX] of a registry the nodes pull from (the suite image and the spec images go there)")
	} else {
		host, prefix, _ := strings.Cut(strings.TrimSuffix(c.Registry, "/"), "/")
		if strings.Contains(c.Registry, "://") || host == "" {
			bad("registry", "%q: want HOST[:PORT][/PREFIX], without a scheme", c.Registry)
		}
		p.registry = registry.Remote{Host: host, Prefix: prefix}
	}
	if c.RegistryCredentialsFile != "" {
		user, pass, err := readCredentials(c.RegistryCredentialsFile)
		if err != nil {
			bad("registry-credentials-file", "%v", err)
		}
		p.registry.Username, p.registry.Password = user, pass
	}
	if c.ReplicasPerNode < 1 {
		bad("replicas-per-node", "%d: want 1 or more", c.ReplicasPerNode)
	}
	if c.SyncTimeout <= 0 {
		bad("sync-timeout", "%s: want more than 0", c.SyncTimeout)
	}
	if c.TTL < 0 {
		bad("ttl", "%s: want 0 or more", c.TTL)
	}
	if c.TestTimeout < hostrun.MinTestTimeout {
		bad("test-timeout", "%s: want at least %s", c.TestTimeout, hostrun.MinTestTimeout)
	}
	if c.APIServer != "" && !strings.HasPrefix(c.APIServer, "https://") {
		bad("api-server", "%q: want an https:// URL", c.APIServer)
	}
	cpu, err := resource.ParseQuantity(c.SuiteCPURequest)
	if err != nil || cpu.Sign() <= 0 {
		bad("suite-cpu-request", "%q: want a positive Kubernetes quantity such as 100m or 2", c.SuiteCPURequest)
	}
	w := cluster.Workload(c.Workload)
	if w != cluster.WorkloadJob && w != cluster.WorkloadPod {
		bad("workload", "%q: want job or pod", c.Workload)
	}
	sel, err := c.Suite.Selection(testArgs)
	if err != nil {
		errs = append(errs, err)
	}
	if !sel.SetsTimeout() && c.TestTimeout >= hostrun.MinTestTimeout {
		sel.Timeout, _, _ = hostrun.SuiteDeadlines(c.TestTimeout)
	}
	p.selection = sel
	p.binaries = images.SuiteBinaries{
		E2ENodeTest: filepath.Join(c.BinDir, "e2e_node.test"), Ginkgo: filepath.Join(c.BinDir, "ginkgo"),
		Pause: filepath.Join(c.BinDir, "pause"), TestImage: filepath.Join(c.BinDir, "testimage"), Busybox: c.Busybox,
	}
	var missing []string
	for _, b := range []string{p.binaries.E2ENodeTest, p.binaries.Ginkgo, p.binaries.Pause, p.binaries.TestImage} {
		if fi, err := os.Stat(b); err != nil || !fi.Mode().IsRegular() {
			missing = append(missing, filepath.Base(b))
		}
	}
	if len(missing) > 0 {
		bad("bin-dir", "%s lacks %s (build the binaries with make build)", c.BinDir, strings.Join(missing, ", "))
	}
	if _, err := os.Stat(c.Busybox); err != nil {
		bad("busybox", "%v (apt-get install busybox-static)", err)
	}
	const bin = "\x00bin"
	args := sel.GinkgoArgs(bin)
	i := slices.Index(args, bin)
	if f := succinctFlag(args[:i]); f != "" {
		bad("ginkgo-flags", "%s: cluster mode verifies each suite pod from the counts of Ginkgo's summary, which --succinct leaves out of a passing run: drop it", f)
	}
	selJSON, _ := json.Marshal(map[string]string{"focus": sel.Focus, "skip": sel.Skip, "labelFilter": sel.LabelFilter})
	p.run = cluster.Run{
		ID: id, APIServer: c.APIServer, ImageRegistry: p.registry.Base(), RegistryCredentials: credentials(p.registry),
		Replicas: c.ReplicasPerNode, Timeout: c.TestTimeout, Workload: w, TTL: c.TTL, SuiteCPU: cpu.String(),
		GinkgoArgs: args[:i], TestArgs: args[i+2:], Selection: string(selJSON),
	}
	if len(errs) > 0 {
		return clusterPlan{}, errors.Join(errs...)
	}
	return p, nil
}

// succinctFlag is the ginkgo argument that turns --succinct on, if any
// (-succinct, --succinct, --succinct=true ...; the last one wins, as in
// Ginkgo's flag parsing).
func succinctFlag(ginkgoArgs []string) string {
	on := ""
	for _, a := range ginkgoArgs {
		name, v, hasV := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "succinct" {
			continue
		}
		b, err := strconv.ParseBool(v)
		if !hasV || err != nil || b {
			on = a
		} else {
			on = ""
		}
	}
	return on
}

func credentials(r registry.Remote) string {
	if r.Username == "" {
		return ""
	}
	return r.Username + ":" + r.Password
}

// readCredentials reads a user:password file that only its owner may
// read.
func readCredentials(path string) (user, password string, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", "", err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", "", fmt.Errorf("%s: mode %v lets others read the password (chmod 600 it)", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", err
	}
	user, password, ok := strings.Cut(strings.TrimSpace(string(b)), ":")
	if !ok || user == "" || password == "" || strings.Contains(password, "\n") {
		return "", "", fmt.Errorf("%s: want one line user:password", path)
	}
	return user, password, nil
}
