package services

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/node-e2e/harness/internal/run"
)

func TestParseNodeLayout(t *testing.T) {
	for _, c := range []struct {
		in   string
		want NodeLayout
		err  bool
	}{
		{"", NodeLayoutIsolated, false},
		{"isolated", NodeLayoutIsolated, false},
		{"standard", NodeLayoutStandard, false},
		{"Standard", "", true},
		{"production", "", true},
	} {
		got, err := ParseNodeLayout(c.in)
		if got != c.want || (err != nil) != c.err {
			t.Errorf("ParseNodeLayout(%q) = %q, %v; want %q, error %v", c.in, got, err, c.want, c.err)
		}
		if err != nil && !strings.Contains(err.Error(), "--node-layout") {
			t.Errorf("ParseNodeLayout(%q): error %q does not name the flag", c.in, err)
		}
	}
}

func TestPlacesFor(t *testing.T) {
	l := run.Layout{ID: "20261130-010203-1a2b3c", Dir: "/tmp/node-e2e/20261130-010203-1a2b3c"}
	for _, c := range []struct {
		nl   NodeLayout
		want NodePlaces
	}{
		{NodeLayoutIsolated, NodePlaces{NodeLayoutIsolated, l.Dir + "/kubelet/root", l.Dir + "/pod-logs", "/node-e2e-1a2b3c"}},
		{"", NodePlaces{NodeLayoutIsolated, l.Dir + "/kubelet/root", l.Dir + "/pod-logs", "/node-e2e-1a2b3c"}},
		{NodeLayoutStandard, NodePlaces{NodeLayoutStandard, "/var/lib/kubelet", "/var/log/pods", "/"}},
	} {
		if got := PlacesFor(l, c.nl); got != c.want {
			t.Errorf("PlacesFor(%q) = %+v, want %+v", c.nl, got, c.want)
		}
	}
}

// fakeHost is a host for StandardPlacesInUse.
type fakeHost struct {
	procs  map[int]string
	dirs   map[string][]string // missing: does not exist
	mounts []string
	exists map[string]bool
	err    error
}

func (f fakeHost) probe() HostProbe {
	return HostProbe{
		Processes: func() (map[int]string, error) { return f.procs, f.err },
		ReadDir: func(d string) ([]string, error) {
			names, ok := f.dirs[d]
			if !ok {
				return nil, &fs.PathError{Op: "open", Path: d, Err: fs.ErrNotExist}
			}
			return names, nil
		},
		CgroupMounts: func() ([]string, error) { return f.mounts, nil },
		Exists:       func(p string) bool { return f.exists[p] },
	}
}
