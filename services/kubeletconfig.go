package services

import (
	"fmt"
	"os"
	"strings"

	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"
	"sigs.k8s.io/yaml"
)

const (
	kubeletConfigKind       = "KubeletConfiguration"
	kubeletConfigAPIVersion = "kubelet.config.k8s.io/v1beta1"
)

// KubeletConfigInput is what the harness knows when it writes the kubelet's
// configuration file.
type KubeletConfigInput struct {
	// UserFile is the --kubelet-config-file given by the user, or "".
	UserFile string
	// RuntimeEndpoint and ImageEndpoint are CRI socket URLs.
	RuntimeEndpoint, ImageEndpoint string
	// StaticPodDir and VolumePluginDir are kept under the run dir;
	// PodLogsDir is the one the run recorded (NodePlaces): under the run
	// dir, or /var/log/pods in the standard node layout.
	StaticPodDir, PodLogsDir, VolumePluginDir string
	// ClientCAFile verifies the API server's client certificate.
	ClientCAFile string
	// TLSCertFile and TLSKeyFile are the kubelet's serving certificate.
	TLSCertFile, TLSKeyFile string
	// CgroupDriver is "cgroupfs" or "systemd".
	CgroupDriver string
	// CgroupRoot is the recorded cgroup root (NodePlaces): the run's own,
	// e.g. /node-e2e-1a2b3c, or / in the standard node layout.
	CgroupRoot string
	// KubeletCgroups is the kubelet's own system cgroup; "" leaves it unset.
	KubeletCgroups string
	// FeatureGates are merged into featureGates.
	FeatureGates map[string]bool
}

// kubeletDefaults are the harness's defaults: a user's file may override them.
func kubeletDefaults(in KubeletConfigInput) map[string]any {
	m := map[string]any{
		// Cgroup v1 hosts (like many CI machines) are still supported here.
		"failCgroupV1": false,
		"failSwapOn":   false,
		// Root may lack CAP_SYS_RESOURCE (containers, CI sandboxes): a
		// negative OOM score cannot be set there.
		"oomScoreAdj":  0,
		"cgroupDriver": in.CgroupDriver,
		"cgroupRoot":   in.CgroupRoot,
		// The suite's images are few and small: never garbage-collect
		// them in the middle of a run.
		"imageGCHighThresholdPercent": 100,
		"imageGCLowThresholdPercent":  99,
		"evictionHard": map[string]any{
			"memory.available":  "100Mi",
			"nodefs.available":  "2%",
			"imagefs.available": "2%",
		},
		// A bounded process count per pod, as production nodes set (the
		// PID-limit specs check it is enforced).
		"podPidsLimit":        1024,
		"serializeImagePulls": false,
		"fileCheckFrequency":  "1s",
		"syncFrequency":       "10s",
		"clusterDomain":       "cluster.local",
		"port":                10250,
		"healthzPort":         10248,
		"healthzBindAddress":  "127.0.0.1",
		// Pod volume usage (what ephemeral-storage eviction and the
		// Summary API's volume stats read) is measured every 10 s
		// instead of every minute: the eviction spec waited most of a
		// minute for it.
		"volumeStatsAggPeriod": "10s",
	}
	// As on a production node, the kubelet runs in a cgroup of its own
	// and the Summary API reports it as the "kubelet" system container.
	if in.KubeletCgroups != "" {
		m["kubeletCgroups"] = in.KubeletCgroups
	}
	return m
}

// kubeletRequired are settings the harness depends on; they override the
// user's file.
func kubeletRequired(in KubeletConfigInput) map[string]any {
	m := map[string]any{
		"kind":                     kubeletConfigKind,
		"apiVersion":               kubeletConfigAPIVersion,
		"containerRuntimeEndpoint": in.RuntimeEndpoint,
		"staticPodPath":            in.StaticPodDir,
		"podLogsDir":               in.PodLogsDir,
		"volumePluginDir":          in.VolumePluginDir,
		"readOnlyPort":             0,
		"tlsCertFile":              in.TLSCertFile,
		"tlsPrivateKeyFile":        in.TLSKeyFile,
		"authentication": map[string]any{
			"anonymous": map[string]any{"enabled": false},
			"webhook":   map[string]any{"enabled": true},
			"x509":      map[string]any{"clientCAFile": in.ClientCAFile},
		},
		"authorization": map[string]any{"mode": "Webhook"},
	}
	if in.ImageEndpoint != "" {
		m["imageServiceEndpoint"] = in.ImageEndpoint
	}
	if len(in.FeatureGates) > 0 {
		fg := map[string]any{}
		for k, v := range in.FeatureGates {
			fg[k] = v
		}
		m["featureGates"] = fg
	}
	return m
}

// LoadKubeletConfigFile reads and validates a user's KubeletConfiguration:
// it must be kubelet.config.k8s.io/v1beta1 KubeletConfiguration with no
// unknown fields.
func LoadKubeletConfigFile(path string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--kubelet-config-file: %w (give the path of a KubeletConfiguration YAML file)", err)
	}
	return parseKubeletConfig(path, b)
}

func parseKubeletConfig(path string, b []byte) (map[string]any, error) {
	fix := "want a kubelet.config.k8s.io/v1beta1 KubeletConfiguration"
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("--kubelet-config-file %s: not valid YAML: %w (%s)", path, err, fix)
	}
	if m == nil {
		return nil, fmt.Errorf("--kubelet-config-file %s: empty (%s)", path, fix)
	}
	if m["kind"] != kubeletConfigKind || m["apiVersion"] != kubeletConfigAPIVersion {
		return nil, fmt.Errorf("--kubelet-config-file %s: kind %v, apiVersion %v (%s)", path, m["kind"], m["apiVersion"], fix)
	}
	var kc kubeletv1beta1.KubeletConfiguration
	if err := yaml.UnmarshalStrict(b, &kc); err != nil {
		return nil, fmt.Errorf("--kubelet-config-file %s: %w (%s; check field names and types)", path, err, fix)
	}
	return m, nil
}

// KubeletConfigYAML returns the kubelet's configuration file: the harness's
// defaults, overridden by the user's file, overridden by the settings the
// harness requires. user may be nil.
func KubeletConfigYAML(in KubeletConfigInput, user map[string]any) ([]byte, error) {
	m := kubeletDefaults(in)
	merge(m, user)
	merge(m, kubeletRequired(in))
	b, err := yaml.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("kubelet config: encode: %w", err)
	}
	var kc kubeletv1beta1.KubeletConfiguration
	if err := yaml.UnmarshalStrict(b, &kc); err != nil {
		return nil, fmt.Errorf("kubelet config: merged configuration is invalid: %w", err)
	}
	return b, nil
}

// merge copies src into dst, recursing into nested maps.
func merge(dst, src map[string]any) {
	for k, v := range src {
		sm, sok := v.(map[string]any)
		dm, dok := dst[k].(map[string]any)
		if sok && dok {
			merge(dm, sm)
			continue
		}
		dst[k] = v
	}
}

// ParseFeatureGates parses "A=true,B=false" as --feature-gates does.
func ParseFeatureGates(s string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		switch v = strings.TrimSpace(v); {
		case !ok || k == "":
			return nil, fmt.Errorf("--feature-gates: %q is not Name=true|false", kv)
		case strings.EqualFold(v, "true"):
			out[k] = true
		case strings.EqualFold(v, "false"):
			out[k] = false
		default:
			return nil, fmt.Errorf("--feature-gates: %q: value must be true or false", kv)
		}
	}
	return out, nil
}
