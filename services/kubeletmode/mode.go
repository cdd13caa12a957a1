package services

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"k8s.io/klog/v2"

	"github.com/node-e2e/harness/internal/pki"
	"github.com/node-e2e/harness/internal/proc"
	"github.com/node-e2e/harness/internal/run"
)

// KubeletModeConfig is what e2e_node.test --run-kubelet-mode needs.
type KubeletModeConfig struct {
	// Layout is the run (its PKI, kubeconfig and directories).
	Layout run.Layout
	// Kubelet is the kubelet's command line, minus the generated paths
	// that RunKubeletMode fills in.
	Kubelet KubeletConfig
	// UserConfigFile is --kubelet-config-file, or "".
	UserConfigFile string
	// RuntimeEndpoint and ImageEndpoint are the CRI endpoints.
	RuntimeEndpoint, ImageEndpoint string
	// CgroupDriver is cgroupfs or systemd.
	CgroupDriver string
	// FeatureGates go into the kubelet's featureGates.
	FeatureGates map[string]bool
	// Launcher is direct or systemd (already resolved).
	Launcher Launcher
	// Supervision says what to do when the kubelet stops.
	Supervision KubeletSupervision
}

// SystemCgroups are the kubelet's and the runtime's cgroups for cfg, as
// the node created them (SystemCgroupsFor): the runtime's only when it is
// the harness's own containerd.
func (cfg KubeletModeConfig) SystemCgroups() SystemCgroups {
	l := cfg.Layout
	own := cfg.RuntimeEndpoint == l.ContainerdEndpoint()
	return SystemCgroupsFor(CgroupRootDir(l.CgroupRoot(), cfg.CgroupDriver == "systemd"), cfg.Launcher, KubeletUnit(l, cfg.Launcher), own)
}

// WriteKubeletConfig writes the merged KubeletConfiguration for cfg, with
// the pod logs dir and cgroup root the run recorded (places), and returns
// its path.
func WriteKubeletConfig(cfg KubeletModeConfig, places NodePlaces) (string, error) {
	l := cfg.Layout
	var user map[string]any
	if cfg.UserConfigFile != "" {
		var err error
		if user, err = LoadKubeletConfigFile(cfg.UserConfigFile); err != nil {
			return "", err
		}
	}
	bundle, err := pki.Load(l.PKIDir())
	if err != nil {
		return "", fmt.Errorf("kubelet: %w", err)
	}
	sc := cfg.SystemCgroups()
	b, err := KubeletConfigYAML(KubeletConfigInput{
		RuntimeEndpoint: cfg.RuntimeEndpoint,
		ImageEndpoint:   cfg.ImageEndpoint,
		StaticPodDir:    l.StaticPodDir(),
		PodLogsDir:      places.PodLogsDir,
		VolumePluginDir: l.VolumePluginDir(),
		ClientCAFile:    bundle.CACert,
		TLSCertFile:     bundle.KubeletCert,
		TLSKeyFile:      bundle.KubeletKey,
		CgroupDriver:    cfg.CgroupDriver,
		CgroupRoot:      places.CgroupRoot,
		KubeletCgroups:  sc.Kubelet,
		FeatureGates:    cfg.FeatureGates,
	}, user)
	if err != nil {
		return "", err
	}
	for _, d := range []string{places.KubeletRootDir, l.StaticPodDir(), places.PodLogsDir, l.VolumePluginDir()} {
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

// RunKubeletMode launches the kubelet and keeps it up until ctx ends, then
// stops it and waits; cfg.Supervision says what happens when it dies. The
// kubelet's pid is written to the layout's KubeletPidFile at each launch.
func RunKubeletMode(ctx context.Context, cfg KubeletModeConfig) error {
	log := klog.FromContext(ctx).WithName("kubelet-mode")
	l := cfg.Layout
	// The node recorded where the kubelet keeps its state (the node
	// layout) before it started kubelet mode.
	places, err := recordedPlaces(l)
	if err != nil {
		return err
	}
	path, err := WriteKubeletConfig(cfg, places)
	if err != nil {
		return err
	}
	kc := cfg.Kubelet
	kc.ConfigFile, kc.Kubeconfig, kc.RootDir = path, l.KubeletKubeconfig(), places.KubeletRootDir
	sc := cfg.SystemCgroups()
	kc.RuntimeCgroups = sc.Runtime
	if cfg.Launcher == LauncherDirect {
		kc.Cgroup = sc.Kubelet
	}

	launch := func() (KubeletHandle, error) {
		switch cfg.Launcher {
		case LauncherSystemd:
			return StartKubeletSystemd(ctx, kc, l.KubeletUnitName(), l.KubeletLog())
		case LauncherDirect:
			return StartKubeletDirect(kc, l.KubeletLog())
		default:
			return nil, fmt.Errorf("kubelet: launcher %q not resolved", cfg.Launcher)
		}
	}
	sup := cfg.Supervision
	sup.Launched = func(h KubeletHandle) {
		if err := os.WriteFile(l.KubeletPidFile(), []byte(strconv.Itoa(h.Pid())+"\n"), 0o644); err != nil {
			log.Error(err, "record kubelet pid")
		}
	}
	err = SuperviseKubelet(klog.NewContext(ctx, log), launch, sup)
	if proc.IsAlarm(err) {
		// The harness sees only this process exit: this file says why.
		if werr := run.WriteFile(l.KubeletAlarmFile(), []byte(err.Error()+"\n"), 0o600); werr != nil {
			log.Error(werr, "record the kubelet's alarm")
		}
	}
	return err
}
