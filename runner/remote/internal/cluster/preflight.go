package cluster

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/node-e2e/harness/services/registry"
)

// UsageError is bad input found before anything was created on the
// cluster: the runner exits 2 with it. It names the flag and the fix.
type UsageError struct {
	// Flag is the flag (or Make variable) at fault, "--nodes".
	Flag string
	// Problem says what is wrong.
	Problem string
	// Fix says what to do instead.
	Fix string
}

func (e *UsageError) Error() string {
	s := e.Flag + ": " + e.Problem
	if e.Fix != "" {
		s += "; " + e.Fix
	}
	return s
}

func usage(flag, fix, format string, args ...any) *UsageError {
	return &UsageError{Flag: flag, Problem: fmt.Sprintf(format, args...), Fix: fix}
}

// PreflightTimeout bounds Preflight as a whole (the 3 s).
const PreflightTimeout = 3 * time.Second

// PreflightOptions is what Preflight checks: the run as the flags give it.
type PreflightOptions struct {
	// Nodes is --nodes: names, or the single word "all".
	Nodes []string
	// NodeSelector is --node-selector, a label selector.
	NodeSelector string
	// Replicas is --replicas-per-node. Default 1.
	Replicas int
	// Workload is --workload (job or pod). Default job.
	Workload Workload
	// Namespace is the run namespace to be, for the namespaced permission
	// checks. Default: cluster-wide checks.
	Namespace string
	// Platform is the suite image's OS and architecture (ImagePlatform);
	// nil skips the check.
	Platform *v1.Platform
	// Selection is the focus, skip and label filter; ListSpecs lists the
	// suite's specs. Both are needed for the Serial/Disruptive check
	// when Replicas > 1 (skipped when ListSpecs is nil).
	Selection Selection
	ListSpecs SpecLister
	// Registry is --registry, probed for a push (ProbeRegistry); nil
	// skips the probe.
	Registry *registry.Remote
	// SkipAccess skips the SelfSubjectAccessReviews (tests of other
	// checks).
	SkipAccess bool
	// Timeout bounds the whole preflight. Default PreflightTimeout.
	Timeout time.Duration
}

// NodeInfo is a selected node, as its Node object reports it.
type NodeInfo struct {
	Name string
	// OS and Arch are status.nodeInfo.operatingSystem and architecture.
	OS, Arch string
	// Kubelet and Runtime are the kubelet's version and the container
	// runtime's (status.nodeInfo).
	Kubelet, Runtime string
}

// Preflight checks, before anything is created, that the run the flags
// describe can start: the nodes exist and are Ready, the suite image's
// platform is theirs, replicas above 1 select no Serial or Disruptive
// spec, the kubeconfig's user may do what the runner and the suite do,
// and the registry takes a push. It returns the selected nodes, sorted
// by name. Every failure is a *UsageError naming the flag and the fix. It
// lists the nodes once, creates nothing (SelfSubjectAccessReviews and an
// upload the registry is asked to cancel are not objects), and returns
// within o.Timeout.
func Preflight(ctx context.Context, cs kubernetes.Interface, o PreflightOptions) ([]NodeInfo, error) {
	if o.Timeout == 0 {
		o.Timeout = PreflightTimeout
	}
	if o.Replicas == 0 {
		o.Replicas = 1
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if err := checkNodeFlags(o); err != nil {
		return nil, err
	}
	// The registry answers from elsewhere: probe it meanwhile.
	regErr := make(chan error, 1)
	go func() {
		if o.Registry == nil {
			regErr <- nil
			return
		}
		regErr <- ProbeRegistry(ctx, *o.Registry)
	}()
	nodes, err := selectNodes(ctx, cs, o)
	if err == nil && o.Platform != nil {
		err = CheckPlatform(*o.Platform, nodes)
	}
	if err == nil && o.Replicas > 1 && o.ListSpecs != nil {
		err = CheckReplicas(ctx, o.Replicas, o.Selection, o.ListSpecs)
	}
	if err == nil && !o.SkipAccess {
		var extra []Access
		if o.Registry != nil && o.Registry.Username != "" {
			// The registry credentials' Secret for the suite (RegistrySecret).
			extra = append(extra, Access{Resource: "secrets", Verb: "create", Namespaced: true})
		}
		err = CheckAccess(ctx, cs, o.Namespace, o.Workload, extra...)
	}
	if err != nil {
		cancel() // the registry's answer no longer matters
	}
	if rerr := <-regErr; err == nil {
		err = rerr
	}
	if err != nil {
		return nil, err
	}
	return nodes, nil
}

// checkNodeFlags checks --nodes and --node-selector without the cluster.
func checkNodeFlags(o PreflightOptions) error {
	switch {
	case len(o.Nodes) > 0 && o.NodeSelector != "":
		return usage("--nodes", "give one of them", "cannot be combined with --node-selector (%q)", o.NodeSelector)
	case len(o.Nodes) == 0 && o.NodeSelector == "":
		return usage("--nodes", "name the nodes (--nodes=a,b), all of them (--nodes=all) or a label selector (--node-selector=k=v)", "no node to test")
	case o.Replicas < 1:
		return usage("--replicas-per-node", "give 1 or more", "%d suite pods per node", o.Replicas)
	case slices.Contains(o.Nodes, "all") && len(o.Nodes) > 1:
		return usage("--nodes", "give --nodes=all alone, or only names", "\"all\" listed with node names %v", o.Nodes)
	}
	seen := map[string]bool{}
	for _, n := range o.Nodes {
		if n == "" || seen[n] {
			return usage("--nodes", "list each node once, comma-separated", "node %q is empty or listed twice", n)
		}
		seen[n] = true
	}
	return nil
}

// selectNodes lists the nodes once and picks the selected ones: every
// one must exist and be Ready.
func selectNodes(ctx context.Context, cs kubernetes.Interface, o PreflightOptions) ([]NodeInfo, error) {
	var sel labels.Selector
	if o.NodeSelector != "" {
		var err error
		if sel, err = labels.Parse(o.NodeSelector); err != nil {
			return nil, usage("--node-selector", "give a label selector such as kubernetes.io/os=linux,node-role.kubernetes.io/worker", "%v", err)
		}
	}
	list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, apiUsage(ctx, "list the nodes", err)
	}
	byName := map[string]*corev1.Node{}
	for i := range list.Items {
		byName[list.Items[i].Name] = &list.Items[i]
	}
	var picked []*corev1.Node
	switch {
	case sel != nil:
		for _, n := range list.Items {
			if sel.Matches(labels.Set(n.Labels)) {
				picked = append(picked, byName[n.Name])
			}
		}
		if len(picked) == 0 {
			return nil, usage("--node-selector", "choose a selector from the nodes' labels (kubectl get nodes --show-labels)",
				"%q matches none of the cluster's %d nodes%s", o.NodeSelector, len(list.Items), labelKeys(list.Items))
		}
	case len(o.Nodes) == 1 && o.Nodes[0] == "all":
		if len(list.Items) == 0 {
			return nil, usage("--nodes", "register a node first", "=all: the cluster has no node")
		}
		for i := range list.Items {
			picked = append(picked, &list.Items[i])
		}
	default:
		var unknown []string
		for _, name := range o.Nodes {
			if n, ok := byName[name]; ok {
				picked = append(picked, n)
			} else {
				unknown = append(unknown, name)
			}
		}
		if len(unknown) > 0 {
			return nil, usage("--nodes", "name nodes the cluster has: "+knownNodes(list.Items),
				"no node named %s in the cluster", strings.Join(quoteAll(unknown), ", "))
		}
	}
	var notReady []string
	out := make([]NodeInfo, 0, len(picked))
	for _, n := range picked {
		if why := readiness(n); why != "" {
			notReady = append(notReady, n.Name+" ("+why+")")
		}
		i := n.Status.NodeInfo
		out = append(out, NodeInfo{Name: n.Name, OS: i.OperatingSystem, Arch: i.Architecture, Kubelet: i.KubeletVersion, Runtime: i.ContainerRuntimeVersion})
	}
	if len(notReady) > 0 {
		flag := "--nodes"
		if sel != nil {
			flag = "--node-selector"
		}
		return nil, usage(flag, "wait until they are Ready or leave them out", "not Ready: %s", strings.Join(notReady, "; "))
	}
	slices.SortFunc(out, func(a, b NodeInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// readiness is "" for a Ready node, else its Ready condition's status,
// reason and message.
func readiness(n *corev1.Node) string {
	for _, c := range n.Status.Conditions {
		if c.Type != corev1.NodeReady {
			continue
		}
		if c.Status == corev1.ConditionTrue {
			return ""
		}
		s := "Ready=" + string(c.Status)
		if c.Reason != "" {
			s += " " + c.Reason
		}
		if c.Message != "" {
			s += ": " + c.Message
		}
		return s
	}
	return "no Ready condition: the kubelet has not reported"
}

// knownNodes lists up to 20 node names.
func knownNodes(nodes []corev1.Node) string {
	if len(nodes) == 0 {
		return "none (the cluster has no node)"
	}
	names := make([]string, 0, len(nodes))
	for _, n := range nodes {
		names = append(names, n.Name)
	}
	slices.Sort(names)
	if len(names) > 20 {
		return strings.Join(names[:20], ", ") + fmt.Sprintf(" and %d more", len(names)-20)
	}
	return strings.Join(names, ", ")
}

// labelKeys is, for a cluster of at most 5 nodes, the keys of their labels.
func labelKeys(nodes []corev1.Node) string {
	if len(nodes) == 0 || len(nodes) > 5 {
		return ""
	}
	keys := map[string]bool{}
	for _, n := range nodes {
		for k := range n.Labels {
			keys[k] = true
		}
	}
	if len(keys) == 0 {
		return " (they have no labels)"
	}
	return " (their label keys: " + strings.Join(slices.Sorted(maps.Keys(keys)), ", ") + ")"
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// apiUsage maps a failed API call to a *UsageError on --kubeconfig: the
// API server is unreachable, too slow, or refuses the user.
func apiUsage(ctx context.Context, what string, err error) *UsageError {
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		return usage("--kubeconfig", "check the server address and that the cluster is up (kubectl get nodes)",
			"%s: the API server did not answer within the preflight's %v", what, PreflightTimeout)
	}
	return usage("--kubeconfig", "check the kubeconfig's server, credentials and --context", "%s: %v", what, err)
}

// clusterFlags are the flags of the cluster target; hostFlags those of
// the SSH and GCE targets.
var (
	clusterFlags = []string{"kubeconfig", "context", "nodes", "node-selector", "registry", "replicas-per-node", "sync-timeout", "detach", "workload", "ttl"}
	hostFlags    = []string{"hosts", "images"}
)

// CheckModeFlags rejects cluster flags mixed with --hosts or --images.
// set holds the names (without dashes) of the flags given on the command
// line (flag.FlagSet.Visit).
func CheckModeFlags(set map[string]bool) error {
	var c, h []string
	for _, f := range clusterFlags {
		if set[f] {
			c = append(c, "--"+f)
		}
	}
	for _, f := range hostFlags {
		if set[f] {
			h = append(h, "--"+f)
		}
	}
	if len(c) > 0 && len(h) > 0 {
		return usage(h[0], "test a cluster's nodes (--kubeconfig, --nodes ...) or machines (--hosts, --images), not both in one run",
			"cannot be combined with the cluster target's %s", strings.Join(c, ", "))
	}
	return nil
}
