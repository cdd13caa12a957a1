package services

import (
	"strings"
	"time"

	"github.com/node-e2e/harness/internal/run"
)

// NodeState records what a node run created, so that teardown (this
// process's, or a later `e2e_node.test --teardown`) removes exactly that.
type NodeState struct {
	Layout          run.Layout `json:"layout"`
	NodeName        string     `json:"nodeName"`
	Started         time.Time  `json:"started"`
	APIServerURL    string     `json:"apiServerURL,omitempty"`
	RuntimeEndpoint string     `json:"runtimeEndpoint,omitempty"`
	OwnRuntime      bool       `json:"ownRuntime"`
	ServicesPid     int        `json:"servicesPid,omitempty"`
	ContainerdPid   int        `json:"containerdPid,omitempty"`
	KubeletModePid  int        `json:"kubeletModePid,omitempty"`
	KubeletUnit     string     `json:"kubeletUnit,omitempty"`
	// Launcher is how kubelet mode launches the kubelet (direct or
	// systemd); "" in a state written before it was recorded.
	Launcher Launcher `json:"launcher,omitempty"`
	// ContainerdBinary is the harness's own containerd as started (a path
	// when it was found on $PATH), which stale cleanup revives; "" for an
	// external runtime or a state written before it was recorded.
	ContainerdBinary string   `json:"containerdBinary,omitempty"`
	CgroupDirs       []string `json:"cgroupDirs,omitempty"`
	// SystemCgroups are the kubelet's and the runtime's own cgroups, under
	// the cgroup root (so removed with CgroupDirs) or, for a kubelet under
	// systemd, its unit's.
	SystemCgroups SystemCgroups `json:"systemCgroups,omitempty"`
	Bridge        string        `json:"bridge,omitempty"`
	// SystemdCgroup records the systemd cgroup driver: the cgroup root is
	// then a slice (CgroupSlice), which teardown stops with the kubepods
	// slices the kubelet created under it.
	SystemdCgroup bool `json:"systemdCgroup,omitempty"`
	// Registry is the services process's image registry.
	Registry *run.RegistryState `json:"registry,omitempty"`
	// HarnessPid is the default-mode process that owns the run; a run whose
	// harness is gone (and that is not Kept) is stale.
	HarnessPid int `json:"harnessPid"`
	// Kept marks a run left running on purpose by --stop-services=false.
	Kept bool `json:"kept,omitempty"`
	// CreatedHostPaths are the HostPaths that did not exist before the
	// run: teardown removes them once they hold only leftovers.
	CreatedHostPaths []string `json:"createdHostPaths,omitempty"`
	// NodePlaces are the kubelet's root dir, pod logs dir and cgroup root,
	// resolved once from the node layout (PlacesFor); every reader takes
	// them from here.
	NodePlaces
}

// CgroupRootDir is the directory of the kubelet's cgroup root in each
// hierarchy: the recorded cgroup root, or its slice under the systemd
// driver; "/" for the host's root cgroup (standard layout). A state that
// records none (written before node layouts) is isolated: the run's own.
func (st NodeState) CgroupRootDir() string {
	switch st.CgroupRoot {
	case "":
		return st.RunCgroupDir()
	case StandardCgroupRoot:
		return "/"
	}
	return CgroupRootDir(st.CgroupRoot, st.SystemdCgroup)
}

// RunCgroupDir is the directory of the run's own cgroup in each hierarchy
// (/node-e2e-<id>, or its slice under the systemd driver), which the run
// creates: the kubelet's cgroup root in the isolated layout, and the home
// of the kubelet's and the runtime's system cgroups in either layout.
func (st NodeState) RunCgroupDir() string {
	return CgroupRootDir(st.Layout.CgroupRoot(), st.SystemdCgroup)
}

// CgroupSlice is the systemd unit of the run's own cgroup under the
// systemd driver (e.g. node_e2e_1a2b3c.slice), "" under cgroupfs.
func (st NodeState) CgroupSlice() string {
	if !st.SystemdCgroup {
		return ""
	}
	return strings.TrimPrefix(st.RunCgroupDir(), "/")
}
