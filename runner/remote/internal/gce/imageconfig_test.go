package gce

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// upstreamConfig is shaped like the image configs of upstream's node e2e
// jobs (test-infra jobs/e2e_node/...), including fields this runner
// ignores (tests, from benchmark configs).
const upstreamConfig = `
images:
  cos-stable:
    image_family: cos-stable
    project: cos-cloud
    metadata: "user-data<init.yaml,cfg-containerd-config<containerd.toml,enable-oslogin=false"
  ubuntu:
    image: ubuntu-gke-2204-1-29-amd64-v20240101
    image_description: Ubuntu 22.04
    project: ubuntu-os-gke-cloud
    machine: n1-standard-4
    resources:
      accelerators:
        - type: nvidia-tesla-t4
          count: 2
    kernel_arguments:
      - systemd.unified_cgroup_hierarchy=1
  debian-regex:
    image_regex: "debian-12-bookworm-v2026.*"
    image_family: debian-12
    project: debian-cloud
    tests:
      - 'resource tracking for 0 pods per node \[Benchmark\]'
`

func TestImageConfigSpecs(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "init.yaml"), []byte("#cloud-config\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "containerd.toml"), []byte("version = 2\n"), 0o644)
	c, err := ParseImageConfig([]byte(upstreamConfig))
	if err != nil {
		t.Fatal(err)
	}
	specs, err := c.Specs(SpecOptions{Dir: dir, ExtraMetadata: "node-env=PATH=/usr/bin"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Spec{{
		ShortName: "cos-stable", ImageFamily: "cos-stable", Project: "cos-cloud", Description: "cos-stable",
		Metadata: map[string]string{"user-data": "#cloud-config\n", "cfg-containerd-config": "version = 2\n", "enable-oslogin": "false", "node-env": "PATH=/usr/bin"},
	}, {
		ShortName: "debian-regex", ImageRegex: "debian-12-bookworm-v2026.*", ImageFamily: "debian-12", Project: "debian-cloud",
		Description: "debian-12", Metadata: map[string]string{"node-env": "PATH=/usr/bin"},
	}, {
		ShortName: "ubuntu", Image: "ubuntu-gke-2204-1-29-amd64-v20240101", Project: "ubuntu-os-gke-cloud", Description: "Ubuntu 22.04",
		Machine: "n1-standard-4", Metadata: map[string]string{"node-env": "PATH=/usr/bin"},
		Accelerators: []Accelerator{{Type: "nvidia-tesla-t4", Count: 2}}, KernelArguments: []string{"systemd.unified_cgroup_hierarchy=1"},
	}}
	if !reflect.DeepEqual(specs, want) {
		t.Errorf("specs =\n%+v\nwant\n%+v", specs, want)
	}
}

func TestImageConfigErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"not yaml", "images: [", "yaml"},
		{"no images", "images: {}\n", "no images"},
		{"no project", "images:\n  a:\n    image: x\n", `image "a": no project`},
		{"no image", "images:\n  a:\n    project: p\n", `image "a": none of image, image_family, image_regex`},
		{"bad metadata", "images:\n  a:\n    image: x\n    project: p\n    metadata: novalue\n", `image "a": metadata: item "novalue"`},
		{"missing metadata file", "images:\n  a:\n    image: x\n    project: p\n    metadata: k</nonexistent\n", "/nonexistent"},
		{"bad accelerator", "images:\n  a:\n    image: x\n    project: p\n    resources:\n      accelerators:\n        - type: t4\n", "want a type and a count"},
	} {
		c, err := ParseImageConfig([]byte(tc.yaml))
		if err == nil {
			_, err = c.Specs(SpecOptions{})
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func TestImageSpecs(t *testing.T) {
	specs, err := ImageSpecs([]string{"debian-12-bookworm-v20261101"}, "debian-cloud", SpecOptions{ExtraMetadata: "a=b"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Spec{{ShortName: "debian-12-bookworm-v20261101", Image: "debian-12-bookworm-v20261101", Project: "debian-cloud",
		Description: "debian-12-bookworm-v20261101", Metadata: map[string]string{"a": "b"}}}
	if !reflect.DeepEqual(specs, want) {
		t.Errorf("ImageSpecs = %+v", specs)
	}
}

func TestInstanceName(t *testing.T) {
	for _, tc := range []struct{ prefix, short, want string }{
		{"node-e2e-a1b2c3", "cos-stable", "node-e2e-a1b2c3-cos-stable"},
		{"node-e2e-a1b2c3", "Ubuntu_22.04 LTS", "node-e2e-a1b2c3-ubuntu-22-04-lts"},
		{"node-e2e-a1b2c3", "debian-12-bookworm-v20261101-with-a-very-long-name-indeed", "node-e2e-a1b2c3-debian-12-bookworm-v20261101-with-a-very-long-n"},
		{"p", strings.Repeat("x", 60) + "-yy", "p-" + strings.Repeat("x", 60)}, // cut at the '-', which goes too
	} {
		got := InstanceName(tc.prefix, tc.short)
		if got != tc.want || len(got) > 63 || strings.HasSuffix(got, "-") {
			t.Errorf("InstanceName(%q, %q) = %q, want %q", tc.prefix, tc.short, got, tc.want)
		}
	}
	for id, ok := range map[string]bool{"20261125-180102-a1b2c3": true, "UPPER": false, "": false, strings.Repeat("a", 64): false} {
		if ValidRunID(id) != ok {
			t.Errorf("ValidRunID(%q) = %v", id, !ok)
		}
	}
	for p, ok := range map[string]bool{"node-e2e-x": true, "1abc": false, "abc-": false, "a_b": false, strings.Repeat("a", 41): false} {
		if ValidNamePrefix(p) != ok {
			t.Errorf("ValidNamePrefix(%q) = %v", p, !ok)
		}
	}
}
