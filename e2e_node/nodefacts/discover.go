package nodefacts

import (
	"context"
	"fmt"
	"maps"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"

	"github.com/node-e2e/harness/internal/host"
)

// discoverTimeout bounds everything Discover asks the API server.
const discoverTimeout = 15 * time.Second

// Config is what the user said about the node (flags); empty values are
// discovered.
type Config struct {
	// NodeName is --node-name; Named says whether it was given.
	NodeName string
	Named    bool
	// Where names the API server in messages ("--kubeconfig=...").
	Where string
	// Overrides maps fact names to values given by flags.
	Overrides map[string]string
}

// InputError is bad input found while discovering: the message names the
// flag and the fix.
type InputError struct{ Err error }

func (e InputError) Error() string { return e.Err.Error() }
func (e InputError) Unwrap() error { return e.Err }

// Discover learns the node a run with --start-services=false tests:
// which Node (exactly one, or --node-name), whether its kubelet runs on
// this host, its configuration from /configz through the API server, and
// its root dir from its command line here. Flags override each fact. Bad
// input (a kubeconfig pointing nowhere, a wrong or missing --node-name, a
// /configz the user may not read with facts missing) is an InputError.
func Discover(ctx context.Context, c Config, rc *rest.Config) (*Facts, error) {
	where := c.Where
	ctx, cancel := context.WithTimeout(ctx, discoverTimeout)
	defer cancel()
	rc = rest.CopyConfig(rc)
	rc.Timeout = 5 * time.Second
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, InputError{fmt.Errorf("%s: %w", where, err)}
	}
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, InputError{fmt.Errorf("%s: cannot list Nodes at %s: %w (is the API server up? `e2e_node.test --run-services-mode` prints a kubeconfig for its own)", where, rc.Host, err)}
	}
	node, err := pickNode(nodes.Items, c.NodeName, c.Named, where)
	if err != nil {
		return nil, InputError{err}
	}
	f := &Facts{NodeName: node.Name, KubeletVersion: node.Status.NodeInfo.KubeletVersion}
	procs := kubeletProcesses("/proc")
	host := strings.ToLower(hostname())
	f.Local, f.LocalReason = nodeIsLocal(node, procs, hostAddresses(), host)

	overrides := c.Overrides
	raw, err := client.CoreV1().RESTClient().Get().AbsPath("/api/v1/nodes", node.Name, "proxy", "configz").DoRaw(ctx)
	configzErr := ""
	if err != nil {
		if apierrors.IsForbidden(err) && !allGiven(overrides, StaticPodPath, PodLogsDir, CgroupRoot, CgroupDriver, RuntimeEndpoint) {
			return nil, InputError{fmt.Errorf("%s: reading the kubelet's configuration (GET /api/v1/nodes/%s/proxy/configz) is forbidden (HTTP 403): its user may not get nodes/proxy\n  use a kubeconfig allowed to, or give every fact by hand: --static-pod-path, --pod-logs-dir, --cgroup-root, --cgroup-driver, --container-runtime-endpoint", where, node.Name)}
		}
		configzErr = err.Error()
	}
	kc, derr := decodeConfigzIf(raw, err)
	if derr != nil {
		configzErr = derr.Error()
	}
	f.Facts = configzFacts(kc, configzErr, f.Local, f.LocalReason, overrides)
	f.Facts = append(f.Facts, rootDirFact(overrides[KubeletRootDir], node.Name, host, procs, f.Local, f.LocalReason))
	return f, nil
}

func decodeConfigzIf(raw []byte, err error) (*kubeletv1beta1.KubeletConfiguration, error) {
	if err != nil {
		return nil, nil
	}
	return decodeConfigz(raw)
}

func allGiven(m map[string]string, names ...string) bool {
	for _, n := range names {
		if m[n] == "" {
			return false
		}
	}
	return true
}

// pickNode returns the Node called name when the user named it, else the
// only Node. Pure.
func pickNode(nodes []v1.Node, name string, named bool, where string) (*v1.Node, error) {
	var names []string
	for i := range nodes {
		names = append(names, nodes[i].Name)
		if named && nodes[i].Name == name {
			return &nodes[i], nil
		}
	}
	slices.Sort(names)
	switch {
	case named && len(names) == 0:
		return nil, fmt.Errorf("--node-name=%s: the API server at %s has no Node yet (start the kubelet first, or wait for it to register)", name, where)
	case named:
		return nil, fmt.Errorf("--node-name=%s: no such Node at %s; it has %s", name, where, strings.Join(names, ", "))
	case len(names) == 0:
		return nil, fmt.Errorf("%s: the API server has no Node (start the kubelet first, or wait for it to register)", where)
	case len(names) > 1:
		return nil, fmt.Errorf("%s: the API server has %d Nodes (%s): give --node-name to choose the one to test", where, len(names), strings.Join(names, ", "))
	}
	return &nodes[0], nil
}

// kubeletProc is a kubelet process on this host.
type kubeletProc struct {
	Pid  int
	Args kubeletArgs
}

// kubeletProcesses lists the kubelet processes under procRoot, by pid.
func kubeletProcesses(procRoot string) []kubeletProc {
	procs := host.ProcessesNamed(procRoot, "kubelet")
	var out []kubeletProc
	for _, pid := range slices.Sorted(maps.Keys(procs)) {
		out = append(out, kubeletProc{Pid: pid, Args: parseKubeletArgs(procs[pid][1:])})
	}
	return out
}

// nodeIsLocal says whether node's kubelet runs on this host: a kubelet
// process here registers that name, or the Node reports an address or
// host name of this host. Pure.
func nodeIsLocal(node *v1.Node, procs []kubeletProc, addrs []string, host string) (bool, string) {
	if p, ok := processFor(node.Name, procs, host); ok {
		return true, fmt.Sprintf("kubelet pid %d on this host registers %s", p.Pid, node.Name)
	}
	for _, a := range node.Status.Addresses {
		if (a.Type == v1.NodeInternalIP || a.Type == v1.NodeExternalIP) && slices.Contains(addrs, a.Address) {
			return true, "the Node's address " + a.Address + " is this host's"
		}
	}
	return false, fmt.Sprintf("no kubelet process here registers %s and none of the Node's addresses is this host's", node.Name)
}

// processFor returns the kubelet process that registers nodeName: its
// --hostname-override, or, without one, this host's name.
func processFor(nodeName string, procs []kubeletProc, host string) (kubeletProc, bool) {
	for _, p := range procs {
		if name := p.Args.HostnameOverride; name == nodeName || (name == "" && host == nodeName) {
			return p, true
		}
	}
	return kubeletProc{}, false
}

// rootDirFact is the kubelet's root dir: the flag, else the command line
// of the node's kubelet on this host. Pure.
func rootDirFact(flagValue, nodeName, host string, procs []kubeletProc, local bool, notLocal string) Fact {
	f := Fact{Name: KubeletRootDir, Flag: Flags[KubeletRootDir]}
	switch p, ok := processFor(nodeName, procs, host); {
	case flagValue != "":
		f.Value, f.Source = flagValue, "flag "+f.Flag
	case ok:
		f.Value, f.Source = p.Args.RootDir, fmt.Sprintf("kubelet command line (pid %d)", p.Pid)
	case local:
		f.Unknown = "no kubelet process on this host registers " + nodeName + " (a kubelet under a debugger or a wrapper is not recognised)"
	default:
		f.Unknown = "the node is not on this host (" + notLocal + ")"
	}
	return f
}

// hostAddresses lists this host's IP addresses.
func hostAddresses() []string {
	addrs, _ := net.InterfaceAddrs()
	var out []string
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok {
			out = append(out, ipn.IP.String())
		}
	}
	return out
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}
