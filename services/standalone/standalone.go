package standalone

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/node-e2e/harness/images"
	"github.com/node-e2e/harness/internal/pki"
	"github.com/node-e2e/harness/internal/run"
	"github.com/node-e2e/harness/internal/shell"
	"github.com/node-e2e/harness/services"
	"github.com/node-e2e/harness/services/registry"
)

// Config is what standalone services mode (e2e_node.test
// --run-services-mode without --run-dir) sets up for a kubelet the user
// runs: the run, its credentials and the kubelet's configuration.
type Config struct {
	// Layout is the run the mode created.
	Layout run.Layout
	// NodeName is the kubelet's node name (--node-name).
	NodeName string
	// BearerToken is the admin token; generated when empty.
	BearerToken string
	// KubeletBinary is the kubelet to print in the command line.
	KubeletBinary string
	// SuiteBinary is e2e_node.test, for the suite's command line.
	SuiteBinary string
	// RuntimeEndpoint is the CRI endpoint of the runtime the kubelet uses.
	RuntimeEndpoint string
	// CgroupDriver is cgroupfs or systemd.
	CgroupDriver string
	// FeatureGates go into the kubelet's featureGates.
	FeatureGates map[string]bool
}

// Info is what the mode prints once everything serves.
type Info struct {
	APIServerURL      string
	AdminKubeconfig   string
	KubeletKubeconfig string
	KubeletConfig     string
	RegistryHost      string
	HostsDir          string
	// SandboxImage is the pause image in the registry, by digest: the
	// runtime's sandbox image (containerd's sandbox_image).
	SandboxImage string
	// RegistryCredentials holds the registry's user:password (0600), for
	// the suite's --image-registry-credentials-file.
	RegistryCredentials string
	KubeletCommand      []string
	SuiteCommand        []string
}

// GenerateCredentials makes the run's CA, certificates and
// tokens, and the kubelet's client certificate (system:node:<name> in
// system:nodes). The run directory must exist.
func GenerateCredentials(cfg Config) error {
	pc := pki.NewConfig()
	pc.Dir, pc.NodeName, pc.AdminToken = cfg.Layout.PKIDir(), cfg.NodeName, cfg.BearerToken
	pc.KubeletSANs = append(pc.KubeletSANs, services.HostIPs()...)
	_, err := pki.Generate(pc)
	return err
}

// KubeletConfigFor is the kubelet configuration of a
// standalone run: its directories under the run dir, the run's CA for
// client authentication (the API server's calls for logs and exec), the
// serving pair generated for the node, and the settings this kind of host
// needs (failCgroupV1: false, oomScoreAdj 0, ..., see kubeletDefaults).
// The cgroup root is "/": no run-owned cgroup exists for a kubelet the
// harness does not start. Pure.
func KubeletConfigFor(cfg Config, b *pki.Bundle) services.KubeletConfigInput {
	l := cfg.Layout
	return services.KubeletConfigInput{
		RuntimeEndpoint: cfg.RuntimeEndpoint,
		StaticPodDir:    l.StaticPodDir(),
		PodLogsDir:      l.PodLogsDir(),
		VolumePluginDir: l.VolumePluginDir(),
		ClientCAFile:    b.CACert,
		TLSCertFile:     b.KubeletCert,
		TLSKeyFile:      b.KubeletKey,
		CgroupDriver:    cfg.CgroupDriver,
		CgroupRoot:      "/",
		FeatureGates:    cfg.FeatureGates,
	}
}

// KubeletCommand is the kubelet's command line for a standalone
// run. Pure.
func KubeletCommand(cfg Config) []string {
	l := cfg.Layout
	kc := services.KubeletConfig{
		Binary:     cfg.KubeletBinary,
		ConfigFile: l.KubeletConfigFile(),
		Kubeconfig: l.KubeletKubeconfig(),
		RootDir:    l.KubeletRootDir(),
		NodeName:   cfg.NodeName,
		Verbosity:  2,
	}
	return append([]string{cfg.KubeletBinary}, kc.Args()...)
}

// SuiteCommand is the suite's command line against the node the
// user's kubelet registers, taking its images from the run's registry at
// registryHost (which the user's containerd pulls from). Pure.
func SuiteCommand(cfg Config, registryHost string) []string {
	return []string{"ginkgo", cfg.SuiteBinary, "--",
		"--start-services=false",
		"--kubeconfig=" + cfg.Layout.AdminKubeconfig(),
		"--node-name=" + cfg.NodeName,
		"--container-runtime-endpoint=" + cfg.RuntimeEndpoint,
		"--image-registry=" + registryHost,
		"--image-registry-credentials-file=" + RegistryCredentials(cfg.Layout),
	}
}

// RegistryCredentials is the file that holds the run registry's
// user:password.
func RegistryCredentials(l run.Layout) string {
	return filepath.Join(l.PKIDir(), "registry-credentials")
}

// WriteFiles writes, once the services serve, the admin and
// kubelet kubeconfigs, the kubelet's configuration and the containerd
// hosts.toml directory for the registry, and returns what to print.
func WriteFiles(cfg Config, st run.ServicesState) (Info, error) {
	l := cfg.Layout
	b, err := pki.Load(l.PKIDir())
	if err != nil {
		return Info{}, err
	}
	if st.Registry == nil {
		return Info{}, fmt.Errorf("%s has no image registry", l.ServicesState())
	}
	if err := pki.WriteKubeconfig(l.AdminKubeconfig(), st.APIServerURL, b.CACert, b.AdminToken, pki.AdminUser); err != nil {
		return Info{}, err
	}
	if err := pki.WriteClientCertKubeconfig(l.KubeletKubeconfig(), st.APIServerURL, b.CACert, b.NodeClientCert, b.NodeClientKey, pki.NodeUser(cfg.NodeName)); err != nil {
		return Info{}, err
	}
	kcfg, err := services.KubeletConfigYAML(KubeletConfigFor(cfg, b), nil)
	if err != nil {
		return Info{}, err
	}
	for _, d := range []string{l.KubeletRootDir(), l.StaticPodDir(), l.PodLogsDir(), l.VolumePluginDir()} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return Info{}, fmt.Errorf("kubelet: %w", err)
		}
	}
	if err := run.WriteFile(l.KubeletConfigFile(), kcfg, 0o600); err != nil {
		return Info{}, fmt.Errorf("kubelet: write config: %w", err)
	}
	if err := registry.WriteHostsDir(l.ContainerdRegistryDir(), st.Registry.Host); err != nil {
		return Info{}, fmt.Errorf("containerd hosts.toml: %w", err)
	}
	creds := RegistryCredentials(l)
	if err := run.WriteFile(creds, []byte(st.Registry.Username+":"+st.Registry.Password+"\n"), 0o600); err != nil {
		return Info{}, fmt.Errorf("registry credentials: %w", err)
	}
	return Info{
		APIServerURL:        st.APIServerURL,
		AdminKubeconfig:     l.AdminKubeconfig(),
		KubeletKubeconfig:   l.KubeletKubeconfig(),
		KubeletConfig:       l.KubeletConfigFile(),
		RegistryHost:        st.Registry.Host,
		HostsDir:            l.ContainerdRegistryDir(),
		SandboxImage:        st.Registry.Images[images.PauseName],
		RegistryCredentials: creds,
		KubeletCommand:      KubeletCommand(cfg),
		SuiteCommand:        SuiteCommand(cfg, st.Registry.Host),
	}, nil
}

// Summary is the text standalone services mode prints once
// ready: where everything is and what to run next. Pure.
func Summary(info Info, nodeName string, ready time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "services ready in %s\n", ready.Round(time.Millisecond))
	fmt.Fprintf(&b, "  API server:         %s\n", info.APIServerURL)
	fmt.Fprintf(&b, "  admin kubeconfig:   %s\n", info.AdminKubeconfig)
	fmt.Fprintf(&b, "  kubelet kubeconfig: %s (client certificate %s, group %s)\n", info.KubeletKubeconfig, pki.NodeUser(nodeName), pki.NodeGroup)
	fmt.Fprintf(&b, "  kubelet config:     %s\n", info.KubeletConfig)
	fmt.Fprintf(&b, "  image registry:     %s\n", info.RegistryHost)
	fmt.Fprintf(&b, "  containerd hosts:   %s (set config_path to it in containerd's registry config, so it pulls from %s over HTTP)\n", info.HostsDir, info.RegistryHost)
	fmt.Fprintf(&b, "  sandbox image:      %s (containerd's sandbox_image: no other registry is needed)\n", info.SandboxImage)
	fmt.Fprintf(&b, "  registry login:     %s (user:password, for pushes and the private repository)\n", info.RegistryCredentials)
	fmt.Fprintf(&b, "run your kubelet (as root):\n  %s\n", shell.Join(info.KubeletCommand...))
	fmt.Fprintf(&b, "then the suite:\n  %s\n", shell.Join(info.SuiteCommand...))
	b.WriteString("stop with Ctrl-C or SIGTERM (stop your kubelet first): the run directory is removed.\n")
	return b.String()
}

// RemoveRun removes the run directory once everything stopped
// (services.RemoveRunDir: refused while a kubelet's mounts remain under it).
func RemoveRun(l run.Layout) error { return services.RemoveRunDir(l.Dir) }
