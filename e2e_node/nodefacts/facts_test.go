package nodefacts

import (
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"
	"k8s.io/utils/ptr"
)

func TestDecodeConfigz(t *testing.T) {
	kc, err := decodeConfigz([]byte(`{"kubeletconfig":{"staticPodPath":"/etc/kubernetes/manifests","cgroupDriver":"systemd","cgroupRoot":"/","readOnlyPort":0,"healthzPort":10248}}`))
	if err != nil {
		t.Fatal(err)
	}
	if kc.StaticPodPath != "/etc/kubernetes/manifests" || kc.CgroupDriver != "systemd" || ptr.Deref(kc.HealthzPort, 0) != 10248 {
		t.Errorf("decoded %+v", kc)
	}
	for _, bad := range []string{`{}`, `not json`, `{"other":{}}`} {
		if _, err := decodeConfigz([]byte(bad)); err == nil {
			t.Errorf("decodeConfigz(%q) = nil error, want one", bad)
		}
	}
}

func TestSystemdCgroupDir(t *testing.T) {
	for in, want := range map[string]string{
		"/":                    "/",
		"":                     "/",
		"/node_e2e_ab12.slice": "/node_e2e_ab12.slice",
		"a-b.slice":            "/a.slice/a-b.slice",
		"/a-b-c.slice":         "/a.slice/a-b.slice/a-b-c.slice",
		"/a/b":                 "/a.slice/a-b.slice",
	} {
		if got := systemdCgroupDir(in); got != want {
			t.Errorf("systemdCgroupDir(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseKubeletArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want kubeletArgs
	}{
		{nil, kubeletArgs{RootDir: "/var/lib/kubelet"}},
		{[]string{"--config=/c", "--root-dir=/r", "--hostname-override=N1"}, kubeletArgs{RootDir: "/r", HostnameOverride: "n1"}},
		{[]string{"--root-dir", "/r2", "-hostname-override", "n2", "--v=2"}, kubeletArgs{RootDir: "/r2", HostnameOverride: "n2"}},
		{[]string{"root-dir=/not-a-flag"}, kubeletArgs{RootDir: "/var/lib/kubelet"}},
	} {
		if got := parseKubeletArgs(tc.args); got != tc.want {
			t.Errorf("parseKubeletArgs(%q) = %+v, want %+v", tc.args, got, tc.want)
		}
	}
}

func nodes(names ...string) []v1.Node {
	var out []v1.Node
	for _, n := range names {
		out = append(out, v1.Node{ObjectMeta: metav1.ObjectMeta{Name: n}})
	}
	return out
}

func TestPickNode(t *testing.T) {
	for _, tc := range []struct {
		nodes   []v1.Node
		name    string
		named   bool
		want    string
		wantErr string
	}{
		{nodes("a"), "host", false, "a", ""},
		{nodes("a", "b"), "b", true, "b", ""},
		{nodes("a", "b"), "host", false, "", "has 2 Nodes (a, b): give --node-name"},
		{nodes("a", "b"), "c", true, "", "--node-name=c: no such Node at K; it has a, b"},
		{nil, "c", true, "", "--node-name=c: the API server at K has no Node yet"},
		{nil, "", false, "", "has no Node"},
	} {
		got, err := pickNode(tc.nodes, tc.name, tc.named, "K")
		switch {
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("pickNode(%s): error %v, want one containing %q", tc.name, err, tc.wantErr)
		case tc.wantErr == "" && (err != nil || got.Name != tc.want):
			t.Errorf("pickNode(%s) = %v, %v; want %s", tc.name, got, err, tc.want)
		}
	}
}

func TestNodeIsLocal(t *testing.T) {
	n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}, Status: v1.NodeStatus{Addresses: []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: "10.0.0.5"}}}}
	procs := []kubeletProc{{Pid: 7, Args: kubeletArgs{RootDir: "/r", HostnameOverride: "other"}}}
	if local, why := nodeIsLocal(n, procs, []string{"127.0.0.1"}, "host"); local {
		t.Errorf("no process nor address of this host: local (%s)", why)
	}
	if local, why := nodeIsLocal(n, procs, []string{"10.0.0.5"}, "host"); !local || !strings.Contains(why, "10.0.0.5") {
		t.Errorf("the Node's address is this host's: local=%v (%s)", local, why)
	}
	procs = append(procs, kubeletProc{Pid: 9, Args: kubeletArgs{RootDir: "/var/lib/kubelet"}})
	if local, why := nodeIsLocal(n, procs, nil, "n1"); !local || !strings.Contains(why, "pid 9") {
		t.Errorf("a kubelet without --hostname-override on host n1: local=%v (%s)", local, why)
	}
	f := rootDirFact("", "n1", "n1", procs, true, "")
	if f.Value != "/var/lib/kubelet" || !strings.Contains(f.Source, "pid 9") {
		t.Errorf("root dir fact = %+v", f)
	}
	if f := rootDirFact("/given", "n1", "n1", procs, true, ""); f.Value != "/given" || f.Source != "flag --kubelet-root-dir" {
		t.Errorf("root dir from the flag = %+v", f)
	}
	if f := rootDirFact("", "n2", "host", procs, false, "far away"); f.Value != "" || !strings.Contains(f.Unknown, "far away") || f.Flag != "--kubelet-root-dir" {
		t.Errorf("root dir of a node elsewhere = %+v", f)
	}
}

func TestConfigzFacts(t *testing.T) {
	kc := &kubeletv1beta1.KubeletConfiguration{
		StaticPodPath:            "/etc/kubernetes/manifests",
		CgroupDriver:             "systemd",
		CgroupRoot:               "/",
		ContainerRuntimeEndpoint: "unix:///run/containerd/containerd.sock",
		HealthzPort:              ptr.To[int32](10248),
	}
	facts := &Facts{Facts: configzFacts(kc, "", true, "", map[string]string{PodLogsDir: "/logs"})}
	for name, want := range map[string]string{
		StaticPodPath:   "/etc/kubernetes/manifests",
		PodLogsDir:      "/logs",
		CgroupRoot:      "/",
		CgroupDriver:    "systemd",
		RuntimeEndpoint: "unix:///run/containerd/containerd.sock",
		ReadOnlyPort:    "0",
		HealthzPort:     "10248",
	} {
		if got := facts.Value(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if src := facts.Get(PodLogsDir).Source; src != "flag --pod-logs-dir" {
		t.Errorf("podLogsDir source = %q", src)
	}

	// Off this host, paths are not facts here; the driver still is.
	far := &Facts{Facts: configzFacts(kc, "", false, "no kubelet here", nil)}
	if far.Value(StaticPodPath) != "" || far.Value(CgroupDriver) != "systemd" {
		t.Errorf("node elsewhere: %+v", far.Facts)
	}
	msg := far.Unknown()[StaticPodPath]
	for _, want := range []string{"staticPodPath", "not on this host", "no kubelet here", "--static-pod-path"} {
		if !strings.Contains(msg, want) {
			t.Errorf("skip message %q lacks %q", msg, want)
		}
	}

	// No QoS cgroups, no static pods: unknown, with the reason.
	kc.CgroupsPerQOS, kc.StaticPodPath = ptr.To(false), ""
	off := &Facts{Facts: configzFacts(kc, "", true, "", nil)}
	if u := off.Unknown(); !strings.Contains(u[CgroupRoot], "cgroupsPerQOS") || !strings.Contains(u[StaticPodPath], "static pods are off") {
		t.Errorf("unknown = %v", u)
	}

	// No /configz: every fact unknown, naming why and the flag.
	none := &Facts{Facts: configzFacts(nil, "403 Forbidden", true, "", map[string]string{CgroupRoot: "/"})}
	if none.Value(CgroupRoot) != "/" || !strings.Contains(none.Unknown()[PodLogsDir], "403 Forbidden") {
		t.Errorf("without configz: %+v", none.Facts)
	}
}
