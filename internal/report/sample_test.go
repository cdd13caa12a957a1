package report

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestParseStatTicks(t *testing.T) {
	for _, tc := range []struct {
		name, stat string
		want       uint64
		err        bool
	}{
		{"plain", "4242 (kubelet) S 1 4242 4242 0 -1 4194560 100 0 0 0 1500 250 0 0 20 0 30 0 100 0 0", 1750, false},
		{"name with spaces and parens", "7 (a) b (c)) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0", 7, false},
		{"truncated", "7 (x) R 1 2 3", 0, true},
		{"no name", "garbage", 0, true},
	} {
		got, err := parseStatTicks([]byte(tc.stat))
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("%s: parseStatTicks = %d, %v; want %d, error %t", tc.name, got, err, tc.want, tc.err)
		}
	}
}

func TestParseStatusRSS(t *testing.T) {
	got, err := parseStatusRSS([]byte("Name:\tkubelet\nVmPeak:\t  9 kB\nVmRSS:\t   65536 kB\nThreads: 30\n"))
	if err != nil || got != 64<<20 {
		t.Errorf("parseStatusRSS = %d, %v; want %d", got, err, 64<<20)
	}
	if _, err := parseStatusRSS([]byte("Name:\tkthreadd\n")); err == nil {
		t.Error("parseStatusRSS without VmRSS: want an error")
	}
}

// fakeProc writes a /proc/<pid> with the given CPU ticks and RSS.
func fakeProc(t *testing.T, root string, pid int, comm string, ticks int, rssKB int) {
	t.Helper()
	dir := filepath.Join(root, fmt.Sprint(pid))
	os.MkdirAll(dir, 0o755)
	stat := fmt.Sprintf("%d (%s) S 1 1 1 0 -1 0 0 0 0 0 %d 0 0 0 20 0 1 0 1 0 0\n", pid, comm, ticks)
	os.WriteFile(filepath.Join(dir, "stat"), []byte(stat), 0o644)
	os.WriteFile(filepath.Join(dir, "status"), []byte(fmt.Sprintf("Name:\t%s\nVmRSS:\t%d kB\n", comm, rssKB)), 0o644)
	os.WriteFile(filepath.Join(dir, "comm"), []byte(comm+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "cmdline"), []byte(comm+"\x00--config\x00/run/"+fmt.Sprint(pid)+"/config.toml\x00"), 0o644)
}

func TestSampler(t *testing.T) {
	root := t.TempDir()
	fakeProc(t, root, 100, "kubelet", 1000, 50000)
	fakeProc(t, root, 150, "containerd", 99, 99999) // another containerd: not the run's
	fakeProc(t, root, 200, "containerd", 10, 30000)
	pidFile := filepath.Join(t.TempDir(), "kubelet.pid")
	os.WriteFile(pidFile, []byte("100\n"), 0o644)
	pods, podsErr := 3, error(nil)
	s := NewSampler(SamplerConfig{
		Processes: map[string]PidFunc{"kubelet": PidFromFile(pidFile), "containerd": PidByName(root, "containerd", "/run/200/"), "gone": func() int { return 0 }},
		Order:     []string{"kubelet", "containerd", "gone"},
		Pods:      func(context.Context) (int, error) { return pods, podsErr },
		ProcRoot:  root,
	})
	ctx := context.Background()
	s.SampleOnce(ctx)
	fakeProc(t, root, 100, "kubelet", 1000+50, 51200) // 0.5 s of CPU
	time.Sleep(time.Second)
	s.SampleOnce(ctx)
	podsErr = errors.New("API server gone")
	os.WriteFile(pidFile, []byte("101\n"), 0o644) // the kubelet restarted
	fakeProc(t, root, 101, "kubelet", 5, 10000)
	s.SampleOnce(ctx)

	res := s.Resources()
	if len(res.Samples) != 3 || res.Interval != 500*time.Millisecond {
		t.Fatalf("got %d samples every %s, want 3 every 500ms", len(res.Samples), res.Interval)
	}
	first, second, third := res.Samples[0], res.Samples[1], res.Samples[2]
	if _, ok := first.CPU["kubelet"]; ok {
		t.Errorf("first sample has a CPU figure without a previous sample: %v", first.CPU)
	}
	if first.RSS["kubelet"] != 50000*1024 || first.RSS["containerd"] != 30000*1024 || first.Pods != 3 {
		t.Errorf("first sample = %+v", first)
	}
	// 50 ticks over ~1 s: ~50% of a core (the sleep runs a little long).
	if c := second.CPU["kubelet"]; c < 40 || c > 50.1 {
		t.Errorf("kubelet CPU = %.1f%%, want about 50%%", c)
	}
	if c, ok := second.CPU["containerd"]; !ok || c != 0 {
		t.Errorf("containerd CPU = %v, %t; want 0 (no ticks spent)", c, ok)
	}
	if _, ok := second.RSS["gone"]; ok {
		t.Errorf("a process that is not running got a sample")
	}
	if _, ok := third.CPU["kubelet"]; ok || third.RSS["kubelet"] != 10000*1024 {
		t.Errorf("after a restart: CPU %v (want none: new pid), RSS %d", third.CPU, third.RSS["kubelet"])
	}
	if third.Pods != -1 {
		t.Errorf("pods = %d when the API server did not answer, want -1", third.Pods)
	}
}

func TestSamplerStartStop(t *testing.T) {
	s := NewSampler(SamplerConfig{Interval: 10 * time.Millisecond, Processes: map[string]PidFunc{"self": func() int { return os.Getpid() }}})
	s.Stop() // before Start: no-op
	s.Start()
	time.Sleep(100 * time.Millisecond)
	s.Stop()
	s.Stop()
	res := s.Resources()
	if n := len(res.Samples); n < 3 {
		t.Fatalf("%d samples in 100 ms at 10 ms, want several", n)
	}
	if res.Samples[0].RSS["self"] <= 0 {
		t.Errorf("the test process's RSS was not read from /proc: %+v", res.Samples[0])
	}
	n := len(res.Samples)
	time.Sleep(30 * time.Millisecond)
	if len(s.Resources().Samples) != n {
		t.Error("sampling went on after Stop")
	}
}
