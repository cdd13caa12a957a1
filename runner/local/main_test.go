package main

import "testing"

// The ginkgo command line is runner/internal/suite's (TestSuite); this
// checks that runner/local refuses bad input with exit status 2 before
// building or running anything.
func TestRunRejectsBadInput(t *testing.T) {
	cases := [][]string{
		{"--parallelism=0", "--build-dependencies=false"},
		{"--no-such-flag"},
		{"--build-dependencies=false", "stray"},
		{"--build-dependencies=false", "--ginkgo-flags=--focus='x"},
		{"--build-dependencies=false", `--test-args=--a="x`},
		{"--build-dependencies=false", "--timeout=-1s"},
		{"--build-dependencies=false", "--timeout=1h", "--ginkgo-flags=--timeout=2h"},
	}
	for _, argv := range cases {
		if code := run(argv); code != 2 {
			t.Errorf("run(%q) = %d, want 2", argv, code)
		}
	}
}
