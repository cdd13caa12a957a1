package services

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"k8s.io/klog/v2"

	"github.com/node-e2e/harness/images"
	"github.com/node-e2e/harness/internal/host"
	"github.com/node-e2e/harness/internal/pki"
	"github.com/node-e2e/harness/internal/proc"
	"github.com/node-e2e/harness/internal/run"
	"github.com/node-e2e/harness/internal/systemd"
	"github.com/node-e2e/harness/services/registry"
)

// NodeConfig describes a whole node brought up by the default mode.
type NodeConfig struct {
	// Layout is the run's directories. Required.
	Layout run.Layout
	// NodeName is the Node's name. Required.
	NodeName string
	// BearerToken is the admin token; generated when empty.
	BearerToken string
	// ServicesCommand runs the services process (e2e_node.test
	// --run-services-mode ...): executable first.
	ServicesCommand []string
	// KubeletCommand runs the kubelet-mode process: executable first.
	KubeletCommand []string
	// RuntimeEndpoint is a CRI endpoint that answered (options resolve it
	// once, in the preflight) to use instead of starting containerd; ""
	// starts the harness's own.
	RuntimeEndpoint string
	// ContainerdBinary is the containerd to start. Default "containerd".
	ContainerdBinary string
	// PodCIDR is the pod network of the CNI bridge. Default DefaultPodCIDR.
	PodCIDR string
	// SystemdCgroup makes containerd's runc use the systemd cgroup driver.
	SystemdCgroup bool
	// Prepull pulls every public suite image through CRI before the
	// kubelet starts (--prepull-images).
	Prepull bool
	// StartTimeout bounds the wait for each of API server and Node Ready.
	// Default DefaultStartTimeout.
	StartTimeout time.Duration
	// Launcher is how kubelet mode launches the kubelet (resolved: direct
	// or systemd); it decides the kubelet's system cgroup and unit.
	Launcher Launcher
	// Keep leaves everything running when the harness exits
	// (--stop-services=false).
	Keep bool
	// NodeLayout says where the kubelet keeps its root dir, pod logs and
	// cgroup root (--node-layout). Default isolated.
	NodeLayout NodeLayout
}

// The defaults of NodeConfig, which the command line's defaults are too.
const (
	DefaultStartTimeout = 2 * time.Minute
	DefaultPodCIDR      = "10.233.0.0/24"
)

// Node is a running node: control plane, runtime, kubelet.
type Node struct {
	cfg        NodeConfig
	state      NodeState
	services   *proc.Process
	containerd *Containerd
	kubelet    *proc.Process
	bundle     *pki.Bundle
	phases     []run.Phase
	log        klog.Logger
}

// NewNode returns a Node for cfg; Start brings it up.
func NewNode(cfg NodeConfig) *Node {
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = DefaultStartTimeout
	}
	if cfg.PodCIDR == "" {
		cfg.PodCIDR = DefaultPodCIDR
	}
	return &Node{cfg: cfg, log: klog.Background().WithName("node")}
}

// State is what the node recorded of itself.
func (n *Node) State() NodeState { return n.state }

// Bundle is the run's credentials, valid after Start.
func (n *Node) Bundle() *pki.Bundle { return n.bundle }

// Phases are the timed startup (and teardown) steps so far.
func (n *Node) Phases() []run.Phase { return n.phases }

func (n *Node) timed(name string, f func() error) error {
	t := time.Now()
	err := f()
	n.phases = append(n.phases, run.Phase{Name: name, Duration: time.Since(t)})
	n.log.V(1).Info("phase", "name", name, "duration", time.Since(t), "err", err)
	return err
}

func (n *Node) saveState() error { return run.WriteJSON(n.cfg.Layout.NodeState(), n.state) }

// StartupError names the component and phase that failed.
type StartupError struct {
	Component, Phase string
	Err              error
}

func (e *StartupError) Error() string {
	return fmt.Sprintf("node startup failed: %s (%s): %v", e.Component, e.Phase, e.Err)
}

func (e *StartupError) Unwrap() error { return e.Err }

// Start brings the node up and returns when its Node object is Ready. If a
// step fails, Start tears down what it had started before returning.
func (n *Node) Start(ctx context.Context) (err error) {
	l := n.cfg.Layout
	n.state = NodeState{Layout: l, NodeName: n.cfg.NodeName, Started: time.Now(), KubeletUnit: KubeletUnit(l, n.cfg.Launcher), Launcher: n.cfg.Launcher,
		CreatedHostPaths: MissingPaths(HostPaths), HarnessPid: os.Getpid(), Kept: n.cfg.Keep, NodePlaces: PlacesFor(l, n.cfg.NodeLayout)}
	defer func() {
		if err != nil {
			n.log.Error(err, "startup failed; tearing down")
			if terr := n.Stop(); terr != nil {
				err = errors.Join(err, fmt.Errorf("teardown after failed startup: %w", terr))
			}
		}
	}()
	fail := func(component, phase string, err error) error {
		return &StartupError{Component: component, Phase: phase, Err: err}
	}
	if err := n.timed("run dir and credentials", func() error {
		if err := l.Create(); err != nil {
			return err
		}
		pc := pki.NewConfig()
		pc.Dir, pc.NodeName, pc.AdminToken = l.PKIDir(), n.cfg.NodeName, n.cfg.BearerToken
		pc.KubeletSANs = append(pc.KubeletSANs, HostIPs()...)
		b, err := pki.Generate(pc)
		n.bundle = b
		return err
	}); err != nil {
		return fail("harness", "prepare run directory", err)
	}
	if err := n.saveState(); err != nil {
		return fail("harness", "record state", err)
	}

	// The services process serves its image registry first: the cgroup
	// root, the container runtime and the image pull need only that, and
	// run while the control plane comes up.
	servicesStarted := time.Now()
	if err := n.timed("image registry ready", func() error { return n.startServices(ctx) }); err != nil {
		return fail("services", "start the services process and its image registry", err)
	}
	servicesReady := make(chan servicesResult, 1)
	go func() {
		st, err := n.awaitServices(ctx)
		servicesReady <- servicesResult{st, err, time.Since(servicesStarted)}
	}()
	if err := n.startRuntimeAndImages(ctx); err != nil {
		return err
	}
	res := <-servicesReady
	if res.err != nil {
		return fail("services", "start etcd, kube-apiserver, namespace controller and the image registry", res.err)
	}
	n.state.APIServerURL = res.st.APIServerURL
	n.phases = append(n.phases, res.st.Phases...)
	n.phases = append(n.phases, run.Phase{Name: "control plane and image registry ready", Duration: res.took})
	if err := n.saveState(); err != nil {
		return fail("harness", "record state", err)
	}
	if err := n.timed("kubeconfigs", n.writeKubeconfigs); err != nil {
		return fail("harness", "write kubeconfigs", err)
	}
	if err := n.timed("kubelet started", func() error { return n.startKubelet() }); err != nil {
		return fail("kubelet", "launch", err)
	}
	if err := n.timed("node ready", func() error { return n.awaitNodeReady(ctx) }); err != nil {
		return fail("kubelet", "wait for Node "+n.cfg.NodeName+" to be Ready", err)
	}
	return nil
}

// startRuntimeAndImages creates the run's cgroup root, starts the container
// runtime (or uses the one given) and gets the suite's images to it from
// the image registry.
func (n *Node) startRuntimeAndImages(ctx context.Context) error {
	l := n.cfg.Layout
	fail := func(component, phase string, err error) error {
		return &StartupError{Component: component, Phase: phase, Err: err}
	}
	// The cgroup root comes before the runtime: the harness's containerd
	// runs in its system cgroup under it.
	if err := n.timed("cgroup root created", func() error {
		n.state.SystemdCgroup = n.cfg.SystemdCgroup
		dirs, err := CreateCgroupRoot(n.state.RunCgroupDir())
		n.state.CgroupDirs = dirs
		if n.state.Standard() {
			// The kubelet creates kubepods under the host's root cgroup;
			// the preflight found none, so the run owns it.
			mounts, merr := host.CgroupMountPoints()
			n.state.CgroupDirs = append(n.state.CgroupDirs, KubepodsDirs(mounts, n.state.SystemdCgroup)...)
			err = errors.Join(err, merr)
		}
		n.state.SystemCgroups = SystemCgroupsFor(n.state.RunCgroupDir(), n.state.Launcher, n.state.KubeletUnit, n.cfg.RuntimeEndpoint == "")
		return errors.Join(err, n.saveState())
	}); err != nil {
		return fail("harness", "create cgroup root "+l.CgroupRoot(), err)
	}
	if err := n.timed("container runtime ready", func() error { return n.startRuntime(ctx) }); err != nil {
		return fail("containerd", "start container runtime", err)
	}
	if !n.state.OwnRuntime {
		if err := n.timed("images imported", func() error {
			return ImportImages(ctx, n.state.RuntimeEndpoint, l.ImagesDir(), n.state.Registry)
		}); err != nil {
			return fail("images", "import the suite's images into "+n.state.RuntimeEndpoint, err)
		}
	} else if n.cfg.Prepull {
		if err := n.timed("images pulled", func() error { return PullImages(ctx, n.state.RuntimeEndpoint, PrepullImages(n.state.Registry)) }); err != nil {
			return fail("images", "pull the suite's images from the registry at "+n.state.Registry.Host, err)
		}
	}
	return nil
}

func (n *Node) writeKubeconfigs() error {
	l, b := n.cfg.Layout, n.bundle
	if err := pki.WriteKubeconfig(l.AdminKubeconfig(), n.state.APIServerURL, b.CACert, b.AdminToken, pki.AdminUser); err != nil {
		return err
	}
	return pki.WriteKubeconfig(l.KubeletKubeconfig(), n.state.APIServerURL, b.CACert, b.NodeToken, b.NodeUser())
}

func (n *Node) startRuntime(ctx context.Context) error {
	l := n.cfg.Layout
	if ep := n.cfg.RuntimeEndpoint; ep != "" {
		// It answered CRI when the options resolved it: not dialled again.
		n.state.RuntimeEndpoint = ep
		return n.saveState()
	}
	reg := n.state.Registry
	if err := registry.WriteHostsDir(l.ContainerdRegistryDir(), reg.Host); err != nil {
		return fmt.Errorf("containerd: %w", err)
	}
	n.containerd = NewContainerd(ContainerdConfig{
		Binary:        n.cfg.ContainerdBinary,
		Dir:           l.ContainerdDir(),
		Socket:        l.ContainerdSocket(),
		SandboxImage:  reg.Images[images.PauseName],
		RegistryDir:   l.ContainerdRegistryDir(),
		CNIConfDir:    l.CNIConfDir(),
		SystemdCgroup: n.cfg.SystemdCgroup,
		LogPath:       l.ContainerdLog(),
		Detach:        n.cfg.Keep,
		Cgroup:        n.state.SystemCgroups.Runtime,
	})
	n.state.OwnRuntime = true
	n.state.ContainerdBinary = n.containerd.Binary()
	n.state.RuntimeEndpoint = n.containerd.Endpoint()
	n.state.Bridge = l.BridgeName()
	err := n.containerd.Start(ctx, n.cniConfig())
	n.state.ContainerdPid = n.containerd.Pid()
	return errors.Join(err, n.saveState())
}

// cniConfig is the pod network of the harness's containerd.
func (n *Node) cniConfig() CNIConfig {
	l := n.cfg.Layout
	return CNIConfig{Bridge: l.BridgeName(), Subnet: n.cfg.PodCIDR, DataDir: l.CNIDataDir()}
}

func (n *Node) startKubelet() error {
	l := n.cfg.Layout
	cmd := n.cfg.KubeletCommand
	n.kubelet = &proc.Process{Name: "kubelet", Path: cmd[0], Args: cmd[1:], LogPath: l.KubeletModeLog(), Detach: n.cfg.Keep, StopTimeout: 40 * time.Second}
	if err := n.kubelet.Start(); err != nil {
		return err
	}
	n.state.KubeletModePid = n.kubelet.Pid()
	return n.saveState()
}

// kubeletExitError explains a dead kubelet-mode process with the tails of
// both its own log and the kubelet's.
func (n *Node) kubeletExitError(err error) error {
	return n.withKubeletLogTail(err, 30)
}

// withKubeletLogTail returns err annotated with the kubelet's last n log
// lines: from its journal while it runs in a systemd unit (kubelet mode
// copies the journal into the report only when the unit stops), from its
// log file otherwise.
func (n *Node) withKubeletLogTail(err error, lines int) error {
	if u := n.state.KubeletUnit; u != "" && BootedWithSystemd("/") {
		return systemd.WithJournalTail(err, u, lines)
	}
	return proc.WithLogTail(err, "kubelet log", n.cfg.Layout.KubeletLog(), lines)
}

// HostIPs returns this machine's non-loopback addresses, for the kubelet's
// serving certificate.
func HostIPs() []string {
	addrs, _ := net.InterfaceAddrs()
	var out []string
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() {
			out = append(out, ipn.IP.String())
		}
	}
	return out
}
