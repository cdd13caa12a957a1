package bench

import (
	"reflect"
	"testing"
)

func TestServerURL(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:43207": "https://127.0.0.1:43207",
		"[::]:6443":       "https://127.0.0.1:6443",
		"0.0.0.0:6443":    "https://127.0.0.1:6443",
	} {
		if got := serverURL(in); got != want {
			t.Errorf("serverURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestControlPlaneCommand(t *testing.T) {
	c := Config{Ours: "/o/e2e_node.test", EnvtestAnchor: "/b/envtest-anchor", Etcd: "/a/etcd",
		KubeAPIServer: "/a/kube-apiserver", Upstream: "/u/e2e_node.test"}
	for _, tc := range []struct {
		subject  string
		want     []string
		services map[string]bool // command line -> is a services process
		err      bool
	}{
		{subject: Ours,
			want:     []string{"/o/e2e_node.test", "--run-services-mode", "--node-name=bench", "--bearer-token=T", "--report-dir=/r"},
			services: map[string]bool{"/o/e2e_node.test --run-services-mode": true}},
		{subject: Envtest,
			want: []string{"/b/envtest-anchor", "--etcd=/a/etcd", "--kube-apiserver=/a/kube-apiserver", "--token=T"},
			services: map[string]bool{
				"/a/etcd --data-dir=/tmp/x":             true,
				"/a/kube-apiserver --etcd-servers=http": true,
				"/b/envtest-anchor --etcd=/a/etcd":      false,
				"":                                      false,
			}},
		{subject: Upstream,
			want:     []string{"/u/e2e_node.test", "--run-services-mode", "--bearer-token=T"},
			services: map[string]bool{"/u/e2e_node.test --run-services-mode": true}},
		{subject: "kind", err: true},
	} {
		t.Run(tc.subject, func(t *testing.T) {
			argv, isService, err := c.controlPlaneCommand(tc.subject, "T", "/r")
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if tc.err {
				return
			}
			if !reflect.DeepEqual(argv, tc.want) {
				t.Errorf("argv = %q, want %q", argv, tc.want)
			}
			for cmd, want := range tc.services {
				if got := isService(ProcInfo{Cmdline: cmd}); got != want {
					t.Errorf("services(%q) = %v, want %v", cmd, got, want)
				}
			}
		})
	}
}
