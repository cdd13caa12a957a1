package controlplane

import (
	"math"
	"os"
	"runtime/debug"
	"testing"
)

func TestApplyMemoryLimit(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(old) })
	t.Setenv("GOMEMLIMIT", "")
	os.Unsetenv("GOMEMLIMIT")
	for _, tc := range []struct {
		cfg  int64
		want int64
	}{
		{0, DefaultMemoryLimit},
		{123 << 20, 123 << 20},
		{-1, math.MaxInt64},
	} {
		if got := applyMemoryLimit(Config{MemoryLimit: tc.cfg}); got != tc.want {
			t.Errorf("MemoryLimit %d: applied %d, want %d", tc.cfg, got, tc.want)
		}
		if got := debug.SetMemoryLimit(-1); got != tc.want {
			t.Errorf("MemoryLimit %d: runtime limit %d, want %d", tc.cfg, got, tc.want)
		}
	}
	// GOMEMLIMIT (read by the runtime at start) wins: the limit is left alone.
	debug.SetMemoryLimit(200 << 20)
	t.Setenv("GOMEMLIMIT", "200MiB")
	if got := applyMemoryLimit(Config{MemoryLimit: 100 << 20}); got != 200<<20 {
		t.Errorf("with GOMEMLIMIT: applied %d, want the runtime's 200 MiB", got)
	}
}
