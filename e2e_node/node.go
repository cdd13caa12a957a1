package e2e_node

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/onsi/ginkgo/v2"

	"github.com/node-e2e/harness/internal/run"
	"github.com/node-e2e/harness/services"
)

// suiteInfo is what every parallel process of the suite needs to reach the
// node; process 1 produces it and shares it.
type suiteInfo struct {
	Kubeconfig      string `json:"kubeconfig"`
	Host            string `json:"host,omitempty"`
	HostCAFile      string `json:"hostCAFile,omitempty"`
	BearerToken     string `json:"bearerToken,omitempty"`
	NodeName        string `json:"nodeName"`
	RuntimeEndpoint string `json:"runtimeEndpoint"`
	StaticPodDir    string `json:"staticPodDir,omitempty"`
	PodLogsDir      string `json:"podLogsDir,omitempty"`
	KubeletRootDir  string `json:"kubeletRootDir,omitempty"`
	// CgroupRoot is the kubelet's cgroup root directory in each hierarchy;
	// a slice under the systemd cgroup driver (SystemdCgroup).
	CgroupRoot    string `json:"cgroupRoot,omitempty"`
	SystemdCgroup bool   `json:"systemdCgroup,omitempty"`
	// Launcher is how the harness's kubelet mode launches the kubelet
	// (direct or systemd), as its node recorded; "" for a node the harness
	// did not start.
	Launcher  string `json:"launcher,omitempty"`
	RunDir    string `json:"runDir,omitempty"`
	ReportDir string `json:"reportDir"`
	// Registry is the harness's image registry: the suite's image
	// references and the private repositories' credentials.
	Registry *run.RegistryState `json:"registry,omitempty"`
	// OwnRuntime is set when the runtime is the harness's containerd,
	// configured to pull from Registry.
	OwnRuntime bool `json:"ownRuntime,omitempty"`
	// NodePulls is set when the node's runtime pulls from Registry (its
	// public repositories without credentials); otherwise the suite's
	// images were imported into it.
	NodePulls bool `json:"nodePulls,omitempty"`
	// PrivateNeedsAuth is set when Registry refuses the private test
	// image to a client without credentials.
	PrivateNeedsAuth bool `json:"privateNeedsAuth,omitempty"`
	// Unknown maps each fact about a node the harness did not start that
	// the suite could not learn to the message a spec needing it skips
	// with (nodefacts.go).
	Unknown map[string]string `json:"unknown,omitempty"`
}

// needHarnessNode skips a spec that tests the node the harness brings up
// itself (its control plane, registry and kubelet configuration) when the
// node is one it did not start.
func needHarnessNode() {
	if env.info.RunDir == "" {
		ginkgo.Skip("tests the node the harness brings up itself (its control plane, registry and kubelet configuration): this node was not started by it")
	}
}

// needFact returns value, the node's fact called name (nodefacts.go), or
// skips the spec naming the fact, why it is unknown and the flag that
// gives it.
func needFact(value, name string) string {
	if value == "" {
		msg := env.info.Unknown[name]
		if msg == "" {
			msg = "the node's " + name + " is unknown (the node was not started by this harness; give --run-dir of a run left by --stop-services=false)"
		}
		ginkgo.Skip(msg)
	}
	return value
}

// writePhases prints a table of timed phases.
func writePhases(w io.Writer, title string, phases []run.Phase) {
	fmt.Fprintf(w, "%s\n", title)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, p := range phases {
		fmt.Fprintf(tw, "  %s\t%s\n", p.Name, p.Duration.Round(time.Millisecond))
	}
	tw.Flush()
}

// keepInstructions tells the user how to reach and stop a node left running.
func keepInstructions(info suiteInfo, st services.NodeState) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nThe node is still running (--stop-services=false).\n")
	fmt.Fprintf(&b, "  API server:  %s\n", st.APIServerURL)
	fmt.Fprintf(&b, "  kubeconfig:  %s   (kubectl --kubeconfig %s get nodes)\n", info.Kubeconfig, info.Kubeconfig)
	fmt.Fprintf(&b, "  token:       in the kubeconfig (and %s/pki/tokens.csv)\n", info.RunDir)
	fmt.Fprintf(&b, "  runtime:     %s   (crictl --runtime-endpoint %s ps -a)\n", info.RuntimeEndpoint, info.RuntimeEndpoint)
	if u := st.KubeletUnit; u != "" {
		fmt.Fprintf(&b, "  kubelet:     systemd unit %s   (systemctl status %s; journalctl -u %s)\n", u, u, u)
		fmt.Fprintf(&b, "               stop the kubelet alone: systemctl stop %s\n", u)
	} else {
		fmt.Fprintf(&b, "  kubelet:     log %s\n", st.Layout.KubeletLog())
	}
	if s := st.CgroupSlice(); s != "" {
		fmt.Fprintf(&b, "  cgroups:     slice %s   (systemctl status %s)\n", s, s)
	}
	fmt.Fprintf(&b, "  logs:        %s/{services,kubelet,kubelet-mode,containerd}.log\n", info.ReportDir)
	fmt.Fprintf(&b, "  run again:   ginkgo e2e_node.test -- --start-services=false --run-dir=%s\n", info.RunDir)
	fmt.Fprintf(&b, "  stop it:     e2e_node.test --teardown=%s\n", info.RunDir)
	return b.String()
}
