package kubeletmode

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"k8s.io/klog/v2"

	"github.com/node-e2e/harness/internal/pki"
	"github.com/node-e2e/harness/internal/proc"
	"github.com/node-e2e/harness/internal/run"
	"github.com/node-e2e/harness/services"
)

// Config is what e2e_node.test --run-kubelet-mode is told on its command
// line. What the node resolved before starting it (the kubelet's places,
// the launcher, the runtime endpoint, the system cgroups) it reads from
// the run's node.json instead (Recorded).
type Config struct {
	// Layout is the run (its PKI, kubeconfig, directories and node.json).
	Layout run.Layout
	// Kubelet is the kubelet's command line, minus the generated paths
	// that Run fills in.
	Kubelet services.KubeletConfig
	// UserConfigFile is --kubelet-config-file, or "".
	UserConfigFile string
	// ImageEndpoint is the CRI image endpoint; "" is the runtime's.
	ImageEndpoint string
	// CgroupDriver is cgroupfs or systemd.
	CgroupDriver string
	// FeatureGates go into the kubelet's featureGates.
	FeatureGates map[string]bool
	// Supervision says what to do when the kubelet stops.
	Supervision Supervision
}

// Recorded reads what the node of run l resolved and recorded in its
// node.json before it started kubelet mode.
func Recorded(l run.Layout) (services.NodeState, error) {
	var st services.NodeState
	if err := run.ReadJSON(l.NodeState(), &st); err != nil {
		return st, fmt.Errorf("kubelet: read the run's node state: %w (kubelet mode runs in a run the harness made: give its --run-dir)", err)
	}
	if st.KubeletRootDir == "" || st.PodLogsDir == "" || st.CgroupRoot == "" {
		return st, fmt.Errorf("kubelet: %s records no kubelet root dir, pod logs dir or cgroup root (a node.json from an older harness? start a new run)", l.NodeState())
	}
	if st.Launcher != services.LauncherDirect && st.Launcher != services.LauncherSystemd {
		return st, fmt.Errorf("kubelet: %s records launcher %q, want direct or systemd (a node.json from an older harness? start a new run)", l.NodeState(), st.Launcher)
	}
	if st.RuntimeEndpoint == "" {
		return st, fmt.Errorf("kubelet: %s records no container runtime endpoint (kubelet mode starts once the runtime is up)", l.NodeState())
	}
	return st, nil
}

// WriteKubeletConfig writes the merged KubeletConfiguration for cfg, with
// the runtime endpoint, places and system cgroups the node recorded (st),
// and returns its path.
func WriteKubeletConfig(cfg Config, st services.NodeState) (string, error) {
	l := cfg.Layout
	var user map[string]any
	if cfg.UserConfigFile != "" {
		var err error
		if user, err = services.LoadKubeletConfigFile(cfg.UserConfigFile); err != nil {
			return "", err
		}
	}
	bundle, err := pki.Load(l.PKIDir())
	if err != nil {
		return "", fmt.Errorf("kubelet: %w", err)
	}
	b, err := services.KubeletConfigYAML(services.KubeletConfigInput{
		RuntimeEndpoint: st.RuntimeEndpoint,
		ImageEndpoint:   cfg.ImageEndpoint,
		StaticPodDir:    l.StaticPodDir(),
		PodLogsDir:      st.PodLogsDir,
		VolumePluginDir: l.VolumePluginDir(),
		ClientCAFile:    bundle.CACert,
		TLSCertFile:     bundle.KubeletCert,
		TLSKeyFile:      bundle.KubeletKey,
		CgroupDriver:    cfg.CgroupDriver,
		CgroupRoot:      st.CgroupRoot,
		KubeletCgroups:  st.SystemCgroups.Kubelet,
		FeatureGates:    cfg.FeatureGates,
	}, user)
	if err != nil {
		return "", err
	}
	for _, d := range []string{st.KubeletRootDir, l.StaticPodDir(), st.PodLogsDir, l.VolumePluginDir()} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return "", fmt.Errorf("kubelet: %w", err)
		}
	}
	path := l.KubeletConfigFile()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return "", fmt.Errorf("kubelet: write config: %w", err)
	}
	return path, nil
}

// Run launches the kubelet and keeps it up until ctx ends, then stops it
// and waits; cfg.Supervision says what happens when it dies. The kubelet's
// pid is written to the layout's KubeletPidFile at each launch.
func Run(ctx context.Context, cfg Config) error {
	log := klog.FromContext(ctx).WithName("kubelet-mode")
	l := cfg.Layout
	st, err := Recorded(l)
	if err != nil {
		return err
	}
	path, err := WriteKubeletConfig(cfg, st)
	if err != nil {
		return err
	}
	kc := cfg.Kubelet
	kc.ConfigFile, kc.Kubeconfig, kc.RootDir = path, l.KubeletKubeconfig(), st.KubeletRootDir
	kc.RuntimeCgroups = st.SystemCgroups.Runtime
	if st.Launcher == services.LauncherDirect {
		kc.Cgroup = st.SystemCgroups.Kubelet
	}

	launch := func() (Handle, error) {
		if st.Launcher == services.LauncherSystemd {
			return StartSystemd(ctx, kc, st.KubeletUnit, l.KubeletLog())
		}
		return StartDirect(kc, l.KubeletLog())
	}
	sup := cfg.Supervision
	sup.Launched = func(h Handle) {
		if err := os.WriteFile(l.KubeletPidFile(), []byte(strconv.Itoa(h.Pid())+"\n"), 0o644); err != nil {
			log.Error(err, "record kubelet pid")
		}
	}
	err = Supervise(klog.NewContext(ctx, log), launch, sup)
	if proc.IsAlarm(err) {
		// The harness sees only this process exit: this file says why.
		if werr := run.WriteFile(l.KubeletAlarmFile(), []byte(err.Error()+"\n"), 0o600); werr != nil {
			log.Error(werr, "record the kubelet's alarm")
		}
	}
	return err
}
