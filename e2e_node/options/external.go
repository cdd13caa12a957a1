package options

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/node-e2e/harness/internal/run"
)

// External is what the suite is told about a node it did not start
// (--start-services=false with --kubeconfig or --host). Every field
// overrides what the suite would otherwise discover from the kubelet's
// /configz and command line; empty means "discover it".
type External struct {
	// KubeletRootDir is the kubelet's --root-dir. Default: read from the
	// command line of the node's kubelet on this host.
	KubeletRootDir string
	// StaticPodPath is the kubelet's staticPodPath.
	StaticPodPath string
	// PodLogsDir is the kubelet's podLogsDir.
	PodLogsDir string
	// CgroupRoot is the kubelet's cgroupRoot ("/" on most nodes).
	CgroupRoot string
	// ImageRegistry is HOST[:PORT][/PREFIX]: the suite pushes its images
	// there and the node pulls them from there. Default "": the suite
	// serves them from a registry on loopback and gets them into the
	// node's runtime itself (the node must be on this host).
	ImageRegistry string
	// ImageRegistryCredentialsFile holds "user:password" for
	// ImageRegistry, on one line; the file must be private (0600, yours).
	ImageRegistryCredentialsFile string
	// SpecNamespaceLabels are added to every namespace a spec creates
	// (besides node-e2e=true), KEY=VALUE,...: a cluster-mode run labels
	// them with its run id so that cancel and reap find the namespaces of
	// a suite pod that was killed before it could delete them.
	SpecNamespaceLabels LabelsFlag
}

// addExternalFlags binds External's flags.
func (c *Config) addExternalFlags(fs *flag.FlagSet) {
	e := &c.External
	fs.StringVar(&e.KubeletRootDir, "kubelet-root-dir", e.KubeletRootDir, "with --start-services=false: the kubelet's --root-dir (default: from the node's kubelet command line on this host)")
	fs.StringVar(&e.StaticPodPath, "static-pod-path", e.StaticPodPath, "with --start-services=false: the kubelet's staticPodPath (default: from the kubelet's /configz)")
	fs.StringVar(&e.PodLogsDir, "pod-logs-dir", e.PodLogsDir, "with --start-services=false: the kubelet's podLogsDir (default: from the kubelet's /configz)")
	fs.StringVar(&e.CgroupRoot, "cgroup-root", e.CgroupRoot, "with --start-services=false: the kubelet's cgroupRoot (default: from the kubelet's /configz)")
	fs.StringVar(&e.ImageRegistry, "image-registry", e.ImageRegistry, "with --start-services=false: HOST[:PORT][/PREFIX] of a registry the node pulls from; the suite pushes its images there (default: serve them on loopback and import them into the node's runtime)")
	fs.StringVar(&e.ImageRegistryCredentialsFile, "image-registry-credentials-file", e.ImageRegistryCredentialsFile, "file holding user:password for --image-registry (mode 0600)")
	fs.Var(&e.SpecNamespaceLabels, "spec-namespace-labels", "labels added to every namespace a spec creates, KEY=VALUE,... (e.g. a cluster run's node-e2e.io/run-id)")
}

// validateExternal checks External's flags alone.
func (c *Config) validateExternal() []string {
	e := c.External
	var errs []string
	set := e.KubeletRootDir != "" || e.StaticPodPath != "" || e.PodLogsDir != "" || e.CgroupRoot != "" || e.ImageRegistry != "" || e.ImageRegistryCredentialsFile != ""
	if set && c.StartServices {
		errs = append(errs, "--kubelet-root-dir, --static-pod-path, --pod-logs-dir, --cgroup-root and --image-registry describe a node the harness did not start: give them with --start-services=false")
	}
	for _, p := range []struct{ flag, value string }{
		{"--kubelet-root-dir", e.KubeletRootDir}, {"--static-pod-path", e.StaticPodPath},
		{"--pod-logs-dir", e.PodLogsDir}, {"--cgroup-root", e.CgroupRoot},
	} {
		if p.value != "" && !filepath.IsAbs(p.value) {
			errs = append(errs, fmt.Sprintf("%s=%q: give an absolute path", p.flag, p.value))
		}
	}
	if e.ImageRegistry != "" {
		if _, _, err := SplitImageRegistry(e.ImageRegistry); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if e.ImageRegistryCredentialsFile != "" && e.ImageRegistry == "" {
		errs = append(errs, "--image-registry-credentials-file needs --image-registry")
	}
	return errs
}

// SplitImageRegistry splits --image-registry's HOST[:PORT][/PREFIX] into
// the registry host and the repository prefix (no leading or trailing
// slash). Pure.
func SplitImageRegistry(v string) (host, prefix string, err error) {
	host, prefix, _ = strings.Cut(strings.TrimSuffix(v, "/"), "/")
	bad := host == "" || strings.ContainsAny(host, " \t@") || strings.Contains(v, "://") ||
		strings.Contains(prefix, "//") || strings.ContainsAny(prefix, " \t@:")
	if bad {
		return "", "", fmt.Errorf("--image-registry=%q: want HOST[:PORT][/PREFIX], e.g. 127.0.0.1:5000 or registry.example.com/node-e2e (no scheme)", v)
	}
	return host, prefix, nil
}

// RegistryCredentials reads --image-registry-credentials-file: one line
// "user:password", in a file only this user can read or write. Empty
// strings when no file is given.
func (c *Config) RegistryCredentials() (user, password string, err error) {
	path := c.External.ImageRegistryCredentialsFile
	if path == "" {
		return "", "", nil
	}
	if err := run.CheckPrivatePath(path, false); err != nil {
		return "", "", fmt.Errorf("--image-registry-credentials-file=%s: %w (chmod 600 it; it holds a password)", path, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", "", fmt.Errorf("--image-registry-credentials-file=%s: %w", path, err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", "", fmt.Errorf("--image-registry-credentials-file=%s: mode %v lets others read the password (chmod 600 it)", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", fmt.Errorf("--image-registry-credentials-file=%s: %w", path, err)
	}
	user, password, ok := strings.Cut(strings.TrimSpace(string(b)), ":")
	if !ok || user == "" || password == "" || strings.ContainsAny(user+password, "\n") {
		return "", "", fmt.Errorf("--image-registry-credentials-file=%s: want one line user:password", path)
	}
	return user, password, nil
}
