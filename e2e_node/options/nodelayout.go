package options

import (
	"flag"
	"fmt"
	"strings"

	"github.com/node-e2e/harness/services"
)

func (c *Config) addNodeLayoutFlag(fs *flag.FlagSet) {
	fs.StringVar(&c.NodeLayout, "node-layout", c.NodeLayout, "where the harness's kubelet keeps its root dir, pod logs and cgroup root: isolated (under the run directory and the run's own cgroup) or standard (/var/lib/kubelet, /var/log/pods and cgroup root /, as on a production node; refused while another kubelet uses them)")
}

// validateNodeLayout checks --node-layout alone.
func (c *Config) validateNodeLayout() []string {
	nl, err := services.ParseNodeLayout(c.NodeLayout)
	if err != nil {
		return []string{err.Error()}
	}
	if nl == services.NodeLayoutStandard && !c.StartServices {
		return []string{"--node-layout=standard places the harness's own kubelet: it needs --start-services (a node the harness did not start keeps its own places; describe them with --kubelet-root-dir, --pod-logs-dir and --cgroup-root)"}
	}
	return nil
}

// nodeLayout is the parsed --node-layout (Validate has checked it).
func (c *Config) nodeLayout() services.NodeLayout {
	nl, _ := services.ParseNodeLayout(c.NodeLayout)
	return nl
}

// checkNodeLayout refuses --node-layout=standard when another kubelet
// already uses the places it would take, as probe sees the host: the run's
// teardown removes them whole, so they must hold nothing but the run's.
func (c *Config) checkNodeLayout(probe services.HostProbe) error {
	if c.nodeLayout() != services.NodeLayoutStandard {
		return nil
	}
	found, err := services.StandardPlacesInUse(probe)
	if err != nil {
		return fmt.Errorf("--node-layout=standard: cannot check whether another kubelet uses %s, %s or the kubepods cgroups: %w", services.StandardKubeletRootDir, services.StandardPodLogsDir, err)
	}
	if len(found) == 0 {
		return nil
	}
	return fmt.Errorf("--node-layout=standard: another kubelet uses the places it would take: %s (stop that kubelet and remove its state, or run with --node-layout=isolated, the default, which leaves them alone)", strings.Join(found, "; "))
}
