package nodefacts

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"

	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"
)

// Facts the specs need about the node, by name: the name is what a skip
// message and node-facts.json call it.
const (
	StaticPodPath   = "staticPodPath"
	PodLogsDir      = "podLogsDir"
	KubeletRootDir  = "kubeletRootDir"
	CgroupRoot      = "cgroupRoot"
	CgroupDriver    = "cgroupDriver"
	RuntimeEndpoint = "containerRuntimeEndpoint"
	ReadOnlyPort    = "readOnlyPort"
	HealthzPort     = "healthzPort"
)

// Flags names the flag that gives each fact by hand.
var Flags = map[string]string{
	StaticPodPath:   "--static-pod-path",
	PodLogsDir:      "--pod-logs-dir",
	KubeletRootDir:  "--kubelet-root-dir",
	CgroupRoot:      "--cgroup-root",
	CgroupDriver:    "--cgroup-driver",
	RuntimeEndpoint: "--container-runtime-endpoint",
}

// Fact is one thing the suite knows, or does not know, about the node.
type Fact struct {
	Name  string `json:"name"`
	Value string `json:"value,omitempty"`
	// Source says where Value came from: "flag --x", "kubelet /configz",
	// "kubelet command line (pid N)", ...
	Source string `json:"source,omitempty"`
	// Unknown says why there is no Value.
	Unknown string `json:"unknown,omitempty"`
	// Flag gives the fact by hand.
	Flag string `json:"flag,omitempty"`
}

// Facts is what the suite learned about a node it did not start;
// node-facts.json in the report dir.
type Facts struct {
	NodeName       string `json:"nodeName"`
	KubeletVersion string `json:"kubeletVersion,omitempty"`
	// Local says whether the node's kubelet runs on this host, and why the
	// suite thinks so: only then are paths and cgroups the specs read here
	// the node's.
	Local       bool   `json:"local"`
	LocalReason string `json:"localReason"`
	Facts       []Fact `json:"facts"`
}

// Get returns the fact called name.
func (f *Facts) Get(name string) Fact {
	for _, x := range f.Facts {
		if x.Name == name {
			return x
		}
	}
	return Fact{Name: name, Unknown: "not looked for", Flag: Flags[name]}
}

// Value returns the fact's value, "" when unknown.
func (f *Facts) Value(name string) string { return f.Get(name).Value }

// Unknown maps every unknown fact to the message a spec that needs it
// skips with.
func (f *Facts) Unknown() map[string]string {
	out := map[string]string{}
	for _, x := range f.Facts {
		if x.Value == "" {
			out[x.Name] = SkipMessage(x)
		}
	}
	return out
}

// SkipMessage names the fact, why it is unknown, and the flag that gives it.
func SkipMessage(x Fact) string {
	msg := fmt.Sprintf("the node's %s is unknown: %s", x.Name, x.Unknown)
	if x.Flag != "" {
		msg += "; give it with " + x.Flag
	}
	return msg
}

// configzFacts is what the kubelet's /configz says, for a node on this
// host (local) or not: paths, cgroups and the CRI socket describe the
// node's own filesystem, so they are facts here only when local.
// overrides (fact name to value, from flags) win. Pure.
func configzFacts(kc *kubeletv1beta1.KubeletConfiguration, configzErr string, local bool, notLocal string, overrides map[string]string) []Fact {
	type candidate struct {
		name      string
		value     string
		hostLocal bool
		empty     string // why an empty value is unknown
	}
	var cands []candidate
	if kc != nil {
		cgroupRoot, emptyRoot := kc.CgroupRoot, "the kubelet's cgroupRoot is empty"
		if cgroupRoot == "" {
			cgroupRoot = "/" // the kubelet's default
		}
		if kc.CgroupsPerQOS != nil && !*kc.CgroupsPerQOS {
			cgroupRoot, emptyRoot = "", "the kubelet runs with cgroupsPerQOS: false, so pods have no QoS cgroups"
		} else if kc.CgroupDriver == "systemd" {
			cgroupRoot = systemdCgroupDir(cgroupRoot)
		}
		cands = []candidate{
			{StaticPodPath, kc.StaticPodPath, true, "the kubelet has no staticPodPath (static pods are off)"},
			{PodLogsDir, defaulted(kc.PodLogsDir, "/var/log/pods"), true, ""},
			{CgroupRoot, cgroupRoot, true, emptyRoot},
			{CgroupDriver, defaulted(kc.CgroupDriver, "cgroupfs"), false, ""},
			{RuntimeEndpoint, kc.ContainerRuntimeEndpoint, true, "the kubelet's configuration names no containerRuntimeEndpoint"},
			{ReadOnlyPort, fmt.Sprint(kc.ReadOnlyPort), false, ""},
			{HealthzPort, fmt.Sprint(ptrInt32(kc.HealthzPort)), false, ""},
		}
	} else {
		for _, n := range []string{StaticPodPath, PodLogsDir, CgroupRoot, CgroupDriver, RuntimeEndpoint, ReadOnlyPort, HealthzPort} {
			cands = append(cands, candidate{name: n, empty: "the kubelet's /configz could not be read: " + configzErr})
		}
	}
	var out []Fact
	for _, c := range cands {
		f := Fact{Name: c.name, Flag: Flags[c.name]}
		switch {
		case overrides[c.name] != "":
			f.Value, f.Source = overrides[c.name], "flag "+Flags[c.name]
		case c.value == "":
			f.Unknown = c.empty
		case c.hostLocal && !local:
			f.Unknown = "the node is not on this host (" + notLocal + "), so its kubelet's " + c.name + " " + c.value + " is not a path here"
		default:
			f.Value, f.Source = c.value, "kubelet /configz"
		}
		out = append(out, f)
	}
	return out
}

func defaulted(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func ptrInt32(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}

// decodeConfigz decodes the kubelet's /configz answer, which wraps its
// (defaulted, v1beta1) configuration in {"kubeletconfig": ...}. Pure.
func decodeConfigz(b []byte) (*kubeletv1beta1.KubeletConfiguration, error) {
	var wrapper struct {
		Config *kubeletv1beta1.KubeletConfiguration `json:"kubeletconfig"`
	}
	if err := json.Unmarshal(b, &wrapper); err != nil {
		return nil, fmt.Errorf("decode /configz: %w", err)
	}
	if wrapper.Config == nil {
		return nil, fmt.Errorf("decode /configz: no \"kubeletconfig\" in %q", truncate(string(b), 200))
	}
	return wrapper.Config, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// systemdCgroupDir is the cgroup directory of the kubelet's cgroupRoot
// under the systemd driver: "/" stays "/"; a slice name "a-b.slice" (or
// a path "/a/b", which the kubelet turns into that slice) is nested as
// systemd nests it, "/a.slice/a-b.slice". Pure.
func systemdCgroupDir(root string) string {
	name := path.Base(root)
	if !strings.HasSuffix(name, ".slice") {
		name = strings.Join(strings.FieldsFunc(root, func(r rune) bool { return r == '/' }), "-") + ".slice"
	}
	if name == ".slice" || name == "-.slice" {
		return "/"
	}
	dir := "/"
	parts := strings.Split(strings.TrimSuffix(name, ".slice"), "-")
	for i := range parts {
		dir = path.Join(dir, strings.Join(parts[:i+1], "-")+".slice")
	}
	return dir
}

// kubeletArgs is what the suite reads from a kubelet's command line.
type kubeletArgs struct {
	RootDir          string
	HostnameOverride string
}

// parseKubeletArgs reads --root-dir and --hostname-override from a kubelet
// command line (both the --flag=value and --flag value forms), with the
// kubelet's default root dir. Pure.
func parseKubeletArgs(args []string) kubeletArgs {
	out := kubeletArgs{RootDir: "/var/lib/kubelet"}
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") {
			continue
		}
		if !hasValue && i+1 < len(args) && (name == "root-dir" || name == "hostname-override") {
			value = args[i+1]
			i++
		}
		switch name {
		case "root-dir":
			out.RootDir = value
		case "hostname-override":
			out.HostnameOverride = strings.ToLower(strings.TrimSpace(value))
		}
	}
	return out
}
