package main

import (
	"reflect"
	"testing"
)

func TestGinkgoArgs(t *testing.T) {
	cases := []struct {
		name string
		cfg  config
		test []string
		want []string
	}{
		{
			name: "defaults",
			cfg:  config{OutDir: "out", Parallelism: 1},
			want: []string{"--no-color", "-v", "out/e2e_node.test", "--"},
		},
		{
			name: "selection, parallelism and pass-through keep their quoting",
			cfg:  config{OutDir: "out", Parallelism: 2, Focus: "Pods runs", Skip: "Slow", LabelFilter: "NodeConformance && !Serial", GinkgoFlags: "--flake-attempts=2", TestArgs: "--node-name=n1"},
			test: []string{"--kubelet-flags=--v=4 --max-pods=20"},
			want: []string{"--no-color", "-v", "--procs=2", "--focus=Pods runs", "--skip=Slow", "--label-filter=NodeConformance && !Serial", "--flake-attempts=2", "out/e2e_node.test", "--", "--kubelet-flags=--v=4 --max-pods=20", "--node-name=n1"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.cfg.ginkgoArgs(c.test); !reflect.DeepEqual(got, c.want) {
				t.Errorf("ginkgoArgs() =\n  %q\nwant\n  %q", got, c.want)
			}
		})
	}
}

func TestRunRejectsBadInput(t *testing.T) {
	cases := [][]string{
		{"--parallelism=0", "--build-dependencies=false"},
		{"--no-such-flag"},
		{"--build-dependencies=false", "stray"},
	}
	for _, argv := range cases {
		if code := run(argv); code != 2 {
			t.Errorf("run(%q) = %d, want 2", argv, code)
		}
	}
}
