package bench

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ProcInfo is one process as /proc shows it.
type ProcInfo struct {
	PID, PPID int
	// RSS is VmRSS in bytes (0 for a kernel thread or a zombie).
	RSS uint64
	// Cmdline is the command line, arguments joined by blanks.
	Cmdline string
}

// ParseStatPPID returns the parent pid from /proc/<pid>/stat's content
// (the fourth field, after the parenthesised command name, which may
// itself hold blanks and parentheses). Pure.
func ParseStatPPID(stat string) (int, bool) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 2 {
		return 0, false
	}
	p, err := strconv.Atoi(f[1])
	return p, err == nil
}

// ParseStatusRSS returns VmRSS in bytes from /proc/<pid>/status's content;
// 0 when absent (kernel threads, zombies). Pure.
func ParseStatusRSS(status string) uint64 {
	for _, line := range strings.Split(status, "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, err := strconv.ParseUint(f[0], 10, 64)
				if err == nil {
					return kb * 1024
				}
			}
		}
	}
	return 0
}

// ReadProcs reads every process in /proc (those that vanish meanwhile are
// skipped).
func ReadProcs() map[int]ProcInfo {
	entries, _ := os.ReadDir("/proc")
	procs := make(map[int]ProcInfo, len(entries))
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		dir := filepath.Join("/proc", e.Name())
		stat, err := os.ReadFile(filepath.Join(dir, "stat"))
		if err != nil {
			continue
		}
		ppid, ok := ParseStatPPID(string(stat))
		if !ok {
			continue
		}
		status, _ := os.ReadFile(filepath.Join(dir, "status"))
		cmd, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
		procs[pid] = ProcInfo{
			PID: pid, PPID: ppid, RSS: ParseStatusRSS(string(status)),
			Cmdline: string(bytes.TrimRight(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '}), " ")),
		}
	}
	return procs
}

// Tree returns root and all its descendants in procs (by parent pid).
// Pure.
func Tree(procs map[int]ProcInfo, root int) []ProcInfo {
	children := map[int][]int{}
	for pid, p := range procs {
		children[p.PPID] = append(children[p.PPID], pid)
	}
	var out []ProcInfo
	seen := map[int]bool{}
	stack := []int{root}
	for len(stack) > 0 {
		pid := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		p, ok := procs[pid]
		if !ok || seen[pid] {
			continue
		}
		seen[pid] = true
		out = append(out, p)
		stack = append(stack, children[pid]...)
	}
	return out
}

// SumRSS adds up the RSS of the processes match accepts (all when match
// is nil). Pure.
func SumRSS(ps []ProcInfo, match func(ProcInfo) bool) uint64 {
	var sum uint64
	for _, p := range ps {
		if match == nil || match(p) {
			sum += p.RSS
		}
	}
	return sum
}

// RSSSampler samples a process tree's memory from /proc every Interval
// and keeps the peaks: of the services processes (Services picks them in
// the tree) and of the whole tree (the launched process and every
// descendant by parent pid; a process re-parented away, such as a
// containerd shim, is not counted). Peaks are sums of VmRSS at one
// sample.
type RSSSampler struct {
	Root     int
	Services func(ProcInfo) bool
	Interval time.Duration

	mu                     sync.Mutex
	peakServices, peakTree uint64
	stop                   chan struct{}
	done                   chan struct{}
}

// Start begins sampling in the background.
func (s *RSSSampler) Start() {
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(s.done)
		t := time.NewTicker(s.Interval)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
}

func (s *RSSSampler) sample() {
	tree := Tree(ReadProcs(), s.Root)
	svc, all := SumRSS(tree, s.Services), SumRSS(tree, nil)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.peakServices = max(s.peakServices, svc)
	s.peakTree = max(s.peakTree, all)
}

// Stop ends sampling and returns the peaks in bytes. Safe to call twice.
func (s *RSSSampler) Stop() (services, tree uint64) {
	if s.stop != nil {
		select {
		case <-s.stop:
		default:
			close(s.stop)
		}
		<-s.done
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peakServices, s.peakTree
}
