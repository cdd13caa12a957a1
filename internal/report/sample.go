package report

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's CPU times: 100 on
// every Linux architecture the harness runs on.
const clockTicks = 100

// PidFunc finds a sampled process; 0 means not running now.
type PidFunc func() int

// SamplerConfig says what to sample.
type SamplerConfig struct {
	// Interval is the sampling period. Default 500ms.
	Interval time.Duration
	// Processes maps a name ("kubelet", "containerd") to how to find its
	// pid; a pid is looked up at every sample, so restarts are followed.
	Processes map[string]PidFunc
	// Order is the order of Processes on the page. Default: sorted names.
	Order []string
	// Pods counts the pods bound to the node; nil or an error records -1.
	Pods func(ctx context.Context) (int, error)
	// ProcRoot is /proc. Tests point it elsewhere.
	ProcRoot string
}

// Sampler samples the node's processes and pod count until stopped.
type Sampler struct {
	cfg     SamplerConfig
	mu      sync.Mutex
	samples []Sample
	prev    map[string]cpuMark
	stop    context.CancelFunc
	done    chan struct{}
}

type cpuMark struct {
	pid   int
	ticks uint64
	at    time.Time
}

// NewSampler returns a Sampler for cfg; Start starts it.
func NewSampler(cfg SamplerConfig) *Sampler {
	if cfg.Interval <= 0 {
		cfg.Interval = 500 * time.Millisecond
	}
	if cfg.ProcRoot == "" {
		cfg.ProcRoot = "/proc"
	}
	if len(cfg.Order) == 0 {
		for name := range cfg.Processes {
			cfg.Order = append(cfg.Order, name)
		}
		slices.Sort(cfg.Order)
	}
	return &Sampler{cfg: cfg, prev: map[string]cpuMark{}}
}

// Start samples every Interval in a goroutine until Stop.
func (s *Sampler) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	s.stop, s.done = cancel, make(chan struct{})
	go func() {
		defer close(s.done)
		t := time.NewTicker(s.cfg.Interval)
		defer t.Stop()
		for {
			s.SampleOnce(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// Stop ends sampling and waits for the goroutine; safe to call twice or
// without Start.
func (s *Sampler) Stop() {
	if s.stop == nil {
		return
	}
	s.stop()
	<-s.done
}

// SampleOnce takes one sample now.
func (s *Sampler) SampleOnce(ctx context.Context) {
	now := time.Now()
	sm := Sample{Time: now, CPU: map[string]float64{}, RSS: map[string]int64{}, Pods: -1}
	for _, name := range s.cfg.Order {
		pid := s.cfg.Processes[name]()
		if pid <= 0 {
			delete(s.prev, name)
			continue
		}
		ticks, rss, err := readProc(s.cfg.ProcRoot, pid)
		if err != nil {
			delete(s.prev, name)
			continue
		}
		sm.RSS[name] = rss
		if p, ok := s.prev[name]; ok && p.pid == pid && now.After(p.at) && ticks >= p.ticks {
			cpu := float64(ticks-p.ticks) / clockTicks / now.Sub(p.at).Seconds() * 100
			sm.CPU[name] = float64(int(cpu*10)) / 10
		}
		s.prev[name] = cpuMark{pid: pid, ticks: ticks, at: now}
	}
	if s.cfg.Pods != nil {
		pctx, cancel := context.WithTimeout(ctx, s.cfg.Interval)
		if n, err := s.cfg.Pods(pctx); err == nil {
			sm.Pods = n
		}
		cancel()
	}
	s.mu.Lock()
	s.samples = append(s.samples, sm)
	s.mu.Unlock()
}

// Resources is what was sampled so far.
func (s *Sampler) Resources() Resources {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Resources{Interval: s.cfg.Interval, Processes: s.cfg.Order, Samples: append([]Sample(nil), s.samples...)}
}

// readProc returns a process's CPU time (utime+stime, in clock ticks) and
// its resident set size in bytes.
func readProc(root string, pid int) (ticks uint64, rss int64, err error) {
	dir := fmt.Sprintf("%s/%d", root, pid)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return 0, 0, err
	}
	ticks, err = parseStatTicks(stat)
	if err != nil {
		return 0, 0, fmt.Errorf("%s/stat: %w", dir, err)
	}
	status, err := os.ReadFile(dir + "/status")
	if err != nil {
		return 0, 0, err
	}
	rss, err = parseStatusRSS(status)
	if err != nil {
		return 0, 0, fmt.Errorf("%s/status: %w", dir, err)
	}
	return ticks, rss, nil
}

// parseStatTicks reads utime and stime (fields 14 and 15) of
// /proc/<pid>/stat; the command name, field 2, may hold spaces and
// parentheses, so fields are counted after its last ')'.
func parseStatTicks(b []byte) (uint64, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("no command name")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state): utime is field 14, f[11].
	if len(f) < 13 {
		return 0, fmt.Errorf("%d fields after the command name, want at least 13", len(f))
	}
	u, err := strconv.ParseUint(f[11], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("utime: %w", err)
	}
	s, err := strconv.ParseUint(f[12], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("stime: %w", err)
	}
	return u + s, nil
}

// parseStatusRSS reads VmRSS of /proc/<pid>/status, in bytes.
func parseStatusRSS(b []byte) (int64, error) {
	for line := range strings.SplitSeq(string(b), "\n") {
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("VmRSS %q: want <n> kB", strings.TrimSpace(rest))
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("VmRSS: %w", err)
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("no VmRSS line (a zombie or kernel thread)")
}

// PidFromFile reads a pid file at every call (the kubelet's changes when
// it restarts).
func PidFromFile(path string) PidFunc {
	return func() int {
		b, err := os.ReadFile(path)
		if err != nil {
			return 0
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		return pid
	}
}

// PidByName finds the process whose /proc/<pid>/comm is name and whose
// command line holds arg ("" matches any), looking again whenever the last
// one found is gone.
func PidByName(procRoot, name, arg string) PidFunc {
	matches := func(pid int) bool {
		comm, err := os.ReadFile(fmt.Sprintf("%s/%d/comm", procRoot, pid))
		if err != nil || strings.TrimSpace(string(comm)) != name {
			return false
		}
		if arg == "" {
			return true
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("%s/%d/cmdline", procRoot, pid))
		return err == nil && strings.Contains(strings.ReplaceAll(string(cmdline), "\x00", " "), arg)
	}
	var last int
	return func() int {
		if last > 0 && matches(last) {
			return last
		}
		last = 0
		ents, err := os.ReadDir(procRoot)
		if err != nil {
			return 0
		}
		for _, e := range ents {
			if pid, err := strconv.Atoi(e.Name()); err == nil && matches(pid) {
				last = pid
				return pid
			}
		}
		return 0
	}
}
