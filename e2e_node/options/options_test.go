package options

import (
	"flag"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/node-e2e/harness/internal/run"
)

func parse(t *testing.T, args ...string) (*Config, error) {
	t.Helper()
	c := NewConfig()
	fs := flag.NewFlagSet("e2e_node.test", flag.ContinueOnError)
	fs.SetOutput(new(strings.Builder))
	c.AddFlags(fs)
	return c, fs.Parse(args)
}

func TestAddFlagsBindsEveryUpstreamFlag(t *testing.T) {
	c, err := parse(t,
		"--node-name=n1",
		"--kubelet-flags=--v=4 --max-pods=20",
		"--kubelet-flags=--fail-swap-on=false",
		"--kubelet-config-file=/k.yaml",
		"--container-runtime-endpoint=unix:///r.sock",
		"--image-service-endpoint=unix:///i.sock",
		"--report-dir=/rep",
		"--report-prefix=p_",
		"--bearer-token=tok",
		"--host=https://127.0.0.1:6443",
		"--start-services=false",
		"--stop-services=false",
		"--run-services-mode",
		"--server-start-timeout=90s",
		"--feature-gates=A=true",
		"--prepull-images=false",
	)
	if err != nil {
		t.Fatal(err)
	}
	want := *NewConfig()
	want.NodeName = "n1"
	want.KubeletFlags = stringList{"--v=4 --max-pods=20", "--fail-swap-on=false"}
	want.KubeletConfigFile = "/k.yaml"
	want.ContainerRuntimeEndpoint = "unix:///r.sock"
	want.ImageServiceEndpoint = "unix:///i.sock"
	want.ReportDir = "/rep"
	want.ReportPrefix = "p_"
	want.BearerToken = "tok"
	want.Host = "https://127.0.0.1:6443"
	want.StartServices = false
	want.StopServices = false
	want.RunServicesMode = true
	want.ServerStartTimeout = 90 * time.Second
	want.FeatureGates = "A=true"
	want.PrepullImages = false
	if !reflect.DeepEqual(*c, want) {
		t.Errorf("parsed config\n %+v\nwant\n %+v", *c, want)
	}
}

func TestDefaults(t *testing.T) {
	c := NewConfig()
	if !c.StartServices || !c.StopServices || !c.PrepullImages {
		t.Error("start-services, stop-services and prepull-images default to true")
	}
	if c.ContainerRuntimeEndpoint != "unix:///run/containerd/containerd.sock" {
		t.Errorf("runtime endpoint default = %q", c.ContainerRuntimeEndpoint)
	}
	if c.KubeletLauncher != "auto" || c.CgroupDriver != "cgroupfs" {
		t.Errorf("launcher/driver defaults = %q/%q", c.KubeletLauncher, c.CgroupDriver)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--run-services-mode", "--run-kubelet-mode"}, "exclusive"},
		{[]string{"--node-name=Big"}, "--node-name"},
		{[]string{"--server-start-timeout=0s"}, "--server-start-timeout"},
		{[]string{"--cgroup-driver=cgroupv2"}, "--cgroup-driver"},
		{[]string{"--start-services=false"}, "--run-dir"},
		{[]string{"--container-runtime-endpoint=tcp://1.2.3.4:1"}, "unix://"},
		{[]string{"--run-root=relative"}, "--run-root"},
		{[]string{"--run-root=/" + strings.Repeat("x", 80)}, "too long"},
		{[]string{"--registry-port=70000"}, "--registry-port"},
		{[]string{"--registry-port=-1"}, "--registry-port"},
		{[]string{"--janitor-at=1", "--run-services-mode"}, "exclusive"},
		{[]string{"--await-start=ns/p", "--janitor-at=1"}, "exclusive"},
		{[]string{"--await-start=ns", "--host=https://h"}, "want NAMESPACE/POD"},
		{[]string{"--await-start=Ns/p", "--host=https://h"}, "want NAMESPACE/POD"},
		{[]string{"--await-start=ns/p"}, "--await-start needs the API server"},
		{[]string{"--janitor-at=1", "--janitor-delete=/api/v1/namespaces/a", "--bearer-token-file=/t"}, "--host=\"\""},
		{[]string{"--janitor-delete=/api/v1/namespaces/a", "--host=https://h", "--bearer-token-file=/t"}, "--janitor-at"},
		{[]string{"--janitor-at=1", "--janitor-delete=/metrics", "--host=https://h", "--bearer-token-file=/t"}, "not an API object path"},
	}
	for _, c := range cases {
		cfg, err := parse(t, c.args...)
		if err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		err = cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%v) = %v, want an error mentioning %q", c.args, err, c.want)
		}
	}
}

func TestChildCommands(t *testing.T) {
	c, err := parse(t, "--node-name=n1", "--kubelet-flags=--v=4 --max-pods=20", "--feature-gates=A=true", "--kubelet-config-file=/k.yaml", "--cgroup-driver=systemd", "--restart-kubelet")
	if err != nil {
		t.Fatal(err)
	}
	l := run.Layout{ID: "r1", Dir: "/runs/r1", ReportDir: "/rep"}
	gotS := c.ServicesCommand("/bin/e2e_node.test", l, "/bin/pause", "/bin/testimage")
	wantS := []string{"/bin/e2e_node.test", "--run-services-mode", "--run-dir=/runs/r1", "--report-dir=/rep", "--server-start-timeout=2m0s",
		"--pause-path=/bin/pause", "--test-image-path=/bin/testimage", "--busybox-path=/bin/busybox", "--registry-port=0", "--feature-gates=A=true"}
	if !reflect.DeepEqual(gotS, wantS) {
		t.Errorf("ServicesCommand =\n %q\nwant\n %q", gotS, wantS)
	}
	gotK := c.KubeletCommand("/bin/e2e_node.test", l, "/bin/kubelet")
	wantK := []string{"/bin/e2e_node.test", "--run-kubelet-mode", "--run-dir=/runs/r1", "--report-dir=/rep",
		"--node-name=n1", "--kubelet-path=/bin/kubelet", "--cgroup-driver=systemd", "--kubelet-config-file=/k.yaml", "--feature-gates=A=true",
		"--kubelet-flags=--v=4 --max-pods=20", "--restart-kubelet"}
	if !reflect.DeepEqual(gotK, wantK) {
		t.Errorf("KubeletCommand =\n %q\nwant\n %q", gotK, wantK)
	}
	// The child parses what the parent wrote back into the same settings.
	child, err := parse(t, gotK[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	if child.Layout() != (run.Layout{ID: "r1", Dir: "/runs/r1", ReportDir: "/rep"}) || child.NodeName != "n1" || len(child.KubeletFlags) != 1 || child.CgroupDriver != "systemd" || !child.RestartKubelet {
		t.Errorf("child config = %+v", child)
	}
}

func TestNewLayout(t *testing.T) {
	c := NewConfig()
	c.RunRoot = "/runs"
	l := c.NewLayout(time.Date(2026, 11, 25, 15, 4, 5, 0, time.UTC))
	if !strings.HasPrefix(l.ID, "20261125-150405-") || l.Dir != "/runs/"+l.ID {
		t.Errorf("layout = %+v", l)
	}
	if !strings.HasSuffix(l.ReportDir, "/_artifacts/"+l.ID) {
		t.Errorf("default report dir = %q", l.ReportDir)
	}
	c.ReportDir = "/rep"
	if got := c.NewLayout(time.Now()).ReportDir; got != "/rep" {
		t.Errorf("report dir = %q, want /rep", got)
	}
}
