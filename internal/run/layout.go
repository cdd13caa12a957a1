package run

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Layout names the paths of one run. Everything the harness writes for the
// node lives under Dir; logs and reports live under ReportDir, which
// survives teardown.
type Layout struct {
	// ID identifies the run, e.g. "20261125-150405-1a2b3c".
	ID string
	// Dir is the run directory (mode 0700).
	Dir string
	// ReportDir receives logs, JUnit XML and phase timings.
	ReportDir string
}

// NewID returns a fresh run id: a timestamp and a random suffix.
func NewID(now time.Time) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b)
}

// ShortID is the random suffix of the id, for names with tight length
// limits (network interfaces, cgroups, systemd units).
func (l Layout) ShortID() string {
	if len(l.ID) >= 6 {
		return l.ID[len(l.ID)-6:]
	}
	return l.ID
}

// Create makes Dir (0700) and ReportDir, refusing a run root or report
// directory that is not the user's own (see CheckOwnDir).
func (l Layout) Create() error {
	if err := MkdirOwn(filepath.Dir(l.Dir), 0o755); err != nil {
		return RunRootError(filepath.Dir(l.Dir), err)
	}
	if err := os.Mkdir(l.Dir, 0o700); err != nil {
		return fmt.Errorf("run dir: %w", err)
	}
	if err := MkdirOwn(l.ReportDir, 0o755); err != nil {
		return ReportDirError(l.ReportDir, err)
	}
	return nil
}

// RunRootError explains why the run root cannot be used, and the fix.
func RunRootError(root string, err error) error {
	return fmt.Errorf("--run-root=%s cannot be trusted: %w (the harness acts as root on the state it finds there: use a run root that you own, writable by you alone, under directories owned by root or you, e.g. remove it or choose another --run-root)", root, err)
}

// ReportDirError explains why the report directory cannot be used, and
// the fix.
func ReportDirError(dir string, err error) error {
	return fmt.Errorf("--report-dir=%s cannot be used: %w (choose a writable report directory that does not exist yet, or one that you own, writable by you alone, under directories owned by root or you)", dir, err)
}

// PKIDir and the methods that follow are paths inside the run directory.
func (l Layout) PKIDir() string            { return filepath.Join(l.Dir, "pki") }
func (l Layout) EtcdDir() string           { return filepath.Join(l.Dir, "etcd") }
func (l Layout) AdminKubeconfig() string   { return filepath.Join(l.Dir, "admin.kubeconfig") }
func (l Layout) KubeletKubeconfig() string { return filepath.Join(l.Dir, "kubelet.kubeconfig") }
func (l Layout) ServicesState() string     { return filepath.Join(l.Dir, "services.json") }
func (l Layout) RegistryState() string     { return filepath.Join(l.Dir, "registry.json") }
func (l Layout) NodeState() string         { return filepath.Join(l.Dir, "node.json") }
func (l Layout) ContainerdDir() string     { return filepath.Join(l.Dir, "containerd") }
func (l Layout) ContainerdSocket() string {
	return filepath.Join(l.Dir, "containerd", "containerd.sock")
}

// ContainerdEndpoint is the CRI endpoint of the harness's own containerd.
func (l Layout) ContainerdEndpoint() string { return "unix://" + l.ContainerdSocket() }
func (l Layout) ContainerdRegistryDir() string {
	return filepath.Join(l.Dir, "containerd", "certs.d")
}
func (l Layout) CNIConfDir() string        { return filepath.Join(l.Dir, "cni", "net.d") }
func (l Layout) CNIDataDir() string        { return filepath.Join(l.Dir, "cni", "ipam") }
func (l Layout) KubeletDir() string        { return filepath.Join(l.Dir, "kubelet") }
func (l Layout) KubeletRootDir() string    { return filepath.Join(l.Dir, "kubelet", "root") }
func (l Layout) KubeletConfigFile() string { return filepath.Join(l.Dir, "kubelet", "config.yaml") }
func (l Layout) KubeletPidFile() string    { return filepath.Join(l.Dir, "kubelet", "kubelet.pid") }
func (l Layout) KubeletAlarmFile() string  { return filepath.Join(l.Dir, "kubelet", "alarm.txt") }
func (l Layout) FaultFile() string         { return filepath.Join(l.Dir, "fault") }
func (l Layout) StaticPodDir() string      { return filepath.Join(l.Dir, "kubelet", "manifests") }
func (l Layout) VolumePluginDir() string   { return filepath.Join(l.Dir, "kubelet", "volume-plugins") }
func (l Layout) PodLogsDir() string        { return filepath.Join(l.Dir, "pod-logs") }
func (l Layout) ImagesDir() string         { return filepath.Join(l.Dir, "images") }
func (l Layout) KubeletUnitName() string   { return "node-e2e-kubelet-" + l.ShortID() }
func (l Layout) CgroupRoot() string        { return "/node-e2e-" + l.ShortID() }
func (l Layout) BridgeName() string        { return "e2e-" + l.ShortID() }

// NamespacePrefix starts the name of every namespace the run's specs
// create: on a runtime the harness shares with others, teardown removes
// only the pod sandboxes of these namespaces. A layout without an ID (a
// node the harness did not start) gives "e2e-".
func (l Layout) NamespacePrefix() string {
	if l.ID == "" {
		return "e2e-"
	}
	return "e2e-" + l.ShortID() + "-"
}

// ServicesLog and the methods that follow are log files in the report
// directory.
func (l Layout) ServicesLog() string    { return filepath.Join(l.ReportDir, "services.log") }
func (l Layout) KubeletLog() string     { return filepath.Join(l.ReportDir, "kubelet.log") }
func (l Layout) KubeletModeLog() string { return filepath.Join(l.ReportDir, "kubelet-mode.log") }
func (l Layout) ContainerdLog() string  { return filepath.Join(l.ReportDir, "containerd.log") }
