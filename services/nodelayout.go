package services

import (
	"fmt"
	"path/filepath"

	"github.com/node-e2e/harness/internal/run"
)

// NodeLayout says where the kubelet keeps its state (--node-layout).
type NodeLayout string

const (
	// NodeLayoutIsolated keeps the kubelet's root dir and pod logs in the
	// run directory and its cgroup root in the run's own cgroup
	// (/node-e2e-<id>): runs leave nothing at the places a production
	// kubelet uses. The default.
	NodeLayoutIsolated NodeLayout = "isolated"
	// NodeLayoutStandard puts them where a production node has them
	// (StandardKubeletRootDir, StandardPodLogsDir, StandardCgroupRoot), for
	// specs written against those places.
	NodeLayoutStandard NodeLayout = "standard"
)

// The places of a production node, which NodeLayoutStandard uses.
const (
	StandardKubeletRootDir = "/var/lib/kubelet"
	StandardPodLogsDir     = "/var/log/pods"
	StandardCgroupRoot     = "/"
)

// ParseNodeLayout parses --node-layout; "" is the default, isolated.
func ParseNodeLayout(s string) (NodeLayout, error) {
	switch NodeLayout(s) {
	case "", NodeLayoutIsolated:
		return NodeLayoutIsolated, nil
	case NodeLayoutStandard:
		return NodeLayoutStandard, nil
	}
	return "", fmt.Errorf("--node-layout=%q: want isolated (the default: the kubelet's root dir, pod logs and cgroup root belong to the run) or standard (/var/lib/kubelet, /var/log/pods and cgroup root /, as on a production node)", s)
}

// NodePlaces are where a run's kubelet keeps its state, resolved once from
// the node layout and recorded in NodeState, which every reader (kubelet
// mode, the specs, teardown, stale cleanup) takes them from.
type NodePlaces struct {
	// NodeLayout is the layout the places come from.
	NodeLayout NodeLayout `json:"nodeLayout,omitempty"`
	// KubeletRootDir is the kubelet's --root-dir.
	KubeletRootDir string `json:"kubeletRootDir,omitempty"`
	// PodLogsDir is the kubelet's podLogsDir.
	PodLogsDir string `json:"podLogsDir,omitempty"`
	// CgroupRoot is the kubelet's cgroupRoot: the run's own cgroup
	// (/node-e2e-<id>) or "/".
	CgroupRoot string `json:"cgroupRoot,omitempty"`
}

// PlacesFor resolves the places of run l under layout nl (already parsed).
func PlacesFor(l run.Layout, nl NodeLayout) NodePlaces {
	if nl == NodeLayoutStandard {
		return NodePlaces{NodeLayout: nl, KubeletRootDir: StandardKubeletRootDir, PodLogsDir: StandardPodLogsDir, CgroupRoot: StandardCgroupRoot}
	}
	return NodePlaces{NodeLayout: NodeLayoutIsolated, KubeletRootDir: l.KubeletRootDir(), PodLogsDir: l.PodLogsDir(), CgroupRoot: l.CgroupRoot()}
}

// Standard reports whether the places are a production node's.
func (p NodePlaces) Standard() bool { return p.NodeLayout == NodeLayoutStandard }

// KubepodsCgroup is the cgroup, in each hierarchy, that a kubelet whose
// cgroupRoot is "/" creates its pods' cgroups under: /kubepods with the
// cgroupfs driver, /kubepods.slice with the systemd driver.
func KubepodsCgroup(systemdDriver bool) string {
	if systemdDriver {
		return "/kubepods.slice"
	}
	return "/kubepods"
}

// KubepodsDirs are the directories of KubepodsCgroup in every hierarchy
// mounted at cgroupMounts.
func KubepodsDirs(cgroupMounts []string, systemdDriver bool) []string {
	var out []string
	for _, m := range cgroupMounts {
		out = append(out, filepath.Join(m, KubepodsCgroup(systemdDriver)))
	}
	return out
}
