package report

import (
	"testing"
	"time"
)

func TestCommand(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec CommandSpec
		want string
	}{
		{"defaults", CommandSpec{}, "ginkgo e2e_node.test"},
		{"procs, focus, flags", CommandSpec{Ginkgo: "_output/bin/ginkgo", Procs: 2, Focus: []string{"Pods"}, Suite: "_output/bin/e2e_node.test",
			Flags: []string{"--report-dir=/tmp/r"}},
			"_output/bin/ginkgo --procs=2 --focus=Pods _output/bin/e2e_node.test -- --report-dir=/tmp/r"},
		{"quoting", CommandSpec{Procs: 1, Skip: []string{"Slow|Disruptive"}, LabelFilter: "NodeConformance && !Slow",
			Flags: []string{"--kubelet-flags=--v=4 --max-pods=20", "--node-name=it's"}},
			`ginkgo --skip='Slow|Disruptive' --label-filter='NodeConformance && !Slow' e2e_node.test -- --kubelet-flags='--v=4 --max-pods=20' --node-name='it'\''s'`},
	} {
		if got := Command(tc.spec); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

func TestLineTime(t *testing.T) {
	ref := time.Date(2026, 11, 29, 8, 0, 0, 0, time.FixedZone("CET", 3600))
	for _, tc := range []struct {
		line string
		want time.Time
		ok   bool
	}{
		{"I1129 22:51:03.123456    4242 kubelet.go:100] hello", time.Date(2026, 11, 29, 22, 51, 3, 123456000, ref.Location()), true},
		{"Nov 29 22:51:03 host kubelet[1]: E1129 22:51:04.000001 1 x.go:1] journal", time.Date(2026, 11, 29, 22, 51, 4, 1000, ref.Location()), true},
		{`time="2026-11-29T21:51:03.5Z" level=info msg="x"`, time.Date(2026, 11, 29, 21, 51, 3, 500000000, time.UTC), true},
		{`{"level":"info","ts":"2026-11-29T22:51:03.123+01:00","msg":"etcd"}`, time.Date(2026, 11, 29, 21, 51, 3, 123000000, time.UTC), true},
		{"  goroutine 1 [running]:", time.Time{}, false},
	} {
		got, ok := lineTime(tc.line, ref)
		if ok != tc.ok || !got.Equal(tc.want) {
			t.Errorf("lineTime(%q) = %v, %t; want %v, %t", tc.line, got, ok, tc.want, tc.ok)
		}
	}
}

func TestMarkSteps(t *testing.T) {
	in := []Phase{{Name: "run dir"}, {Name: "etcd ready"}, {Name: "apiserver ready"}, {Name: "control plane ready"}, {Name: "node ready"}, {Name: "late step"}}
	got := MarkSteps(in, map[string]bool{"etcd ready": true, "apiserver ready": true, "late step": true})
	want := []string{"", "control plane ready", "control plane ready", "", "", ""}
	for i, p := range got {
		if p.Parent != want[i] {
			t.Errorf("%s: parent %q, want %q", p.Name, p.Parent, want[i])
		}
	}
	if in[1].Parent != "" {
		t.Error("MarkSteps changed its input")
	}
}
