package bench

import (
	"os"
	"slices"
	"testing"
)

func TestParseStatPPID(t *testing.T) {
	for _, tc := range []struct {
		stat string
		want int
		ok   bool
	}{
		{"1234 (kube-apiserver) S 1200 1234 1200 0 -1 4194560 ...", 1200, true},
		{"77 (a (weird) name) R 5 77 77 0", 5, true},
		{"88 (tricky) S) S 9 88", 9, true},
		{"garbage", 0, false},
		{"1 (init)", 0, false},
	} {
		got, ok := ParseStatPPID(tc.stat)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseStatPPID(%q) = %d, %v; want %d, %v", tc.stat, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseStatusRSS(t *testing.T) {
	for _, tc := range []struct {
		status string
		want   uint64
	}{
		{"Name:\tetcd\nVmPeak:\t  999 kB\nVmRSS:\t   321480 kB\nRssAnon:\t 1 kB\n", 321480 * 1024},
		{"Name:\tkthreadd\nState:\tS (sleeping)\n", 0},
		{"VmRSS:\tlots kB\n", 0},
	} {
		if got := ParseStatusRSS(tc.status); got != tc.want {
			t.Errorf("ParseStatusRSS(%q) = %d, want %d", tc.status, got, tc.want)
		}
	}
}

func TestTreeAndSumRSS(t *testing.T) {
	procs := map[int]ProcInfo{
		1:  {PID: 1, PPID: 0, RSS: 1},
		10: {PID: 10, PPID: 1, RSS: 100, Cmdline: "envtest-anchor"},
		11: {PID: 11, PPID: 10, RSS: 200, Cmdline: "etcd --data-dir=x"},
		12: {PID: 12, PPID: 10, RSS: 300, Cmdline: "kube-apiserver --etcd-servers=x"},
		13: {PID: 13, PPID: 12, RSS: 5, Cmdline: "helper"},
		20: {PID: 20, PPID: 1, RSS: 1000, Cmdline: "containerd-shim (re-parented)"},
	}
	tree := Tree(procs, 10)
	var pids []int
	for _, p := range tree {
		pids = append(pids, p.PID)
	}
	slices.Sort(pids)
	if !slices.Equal(pids, []int{10, 11, 12, 13}) {
		t.Errorf("Tree(10) = %v, want [10 11 12 13]", pids)
	}
	if got := SumRSS(tree, nil); got != 605 {
		t.Errorf("SumRSS(tree) = %d, want 605", got)
	}
	isServer := func(p ProcInfo) bool { return p.PID == 11 || p.PID == 12 }
	if got := SumRSS(tree, isServer); got != 500 {
		t.Errorf("SumRSS(services) = %d, want 500", got)
	}
	if got := Tree(procs, 99); len(got) != 0 {
		t.Errorf("Tree of a gone process = %v, want none", got)
	}
}

// TestReadProcsSelf reads the real /proc: this test process is there, with
// its parent and a resident set.
func TestReadProcsSelf(t *testing.T) {
	procs := ReadProcs()
	me, ok := procs[os.Getpid()]
	if !ok {
		t.Fatal("this process is not in ReadProcs")
	}
	if me.PPID != os.Getppid() || me.RSS == 0 || me.Cmdline == "" {
		t.Errorf("ReadProcs()[self] = %+v; want ppid %d, a resident set and a command line", me, os.Getppid())
	}
}
