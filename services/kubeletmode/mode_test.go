package kubeletmode

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/node-e2e/harness/internal/run"
	"github.com/node-e2e/harness/services"
)

// Kubelet mode reads what the node resolved from its node.json, and
// refuses a record that lacks any of it.
func TestRecorded(t *testing.T) {
	dir := t.TempDir()
	l := run.Layout{ID: filepath.Base(dir), Dir: dir}
	if _, err := Recorded(l); err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("no node.json: err = %v", err)
	}
	places := services.PlacesFor(l, services.NodeLayoutStandard)
	sc := services.SystemCgroupsFor(l.CgroupRoot(), services.LauncherDirect, "", true)
	want := services.NodeState{Layout: l, NodePlaces: places, Launcher: services.LauncherDirect, RuntimeEndpoint: l.ContainerdEndpoint(), SystemCgroups: sc}
	for _, tc := range []struct {
		name    string
		mutate  func(*services.NodeState)
		wantErr string
	}{
		{"no places", func(st *services.NodeState) { st.NodePlaces = services.NodePlaces{} }, "records no kubelet root dir"},
		{"no launcher", func(st *services.NodeState) { st.Launcher = "" }, `records launcher ""`},
		{"unresolved launcher", func(st *services.NodeState) { st.Launcher = services.LauncherAuto }, `records launcher "auto"`},
		{"no runtime endpoint", func(st *services.NodeState) { st.RuntimeEndpoint = "" }, "records no container runtime endpoint"},
	} {
		st := want
		tc.mutate(&st)
		if err := run.WriteJSON(l.NodeState(), st); err != nil {
			t.Fatal(err)
		}
		if _, err := Recorded(l); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: err = %v, want one saying %q", tc.name, err, tc.wantErr)
		}
	}
	if err := run.WriteJSON(l.NodeState(), want); err != nil {
		t.Fatal(err)
	}
	got, err := Recorded(l)
	if err != nil || got.NodePlaces != want.NodePlaces || got.Launcher != want.Launcher || got.RuntimeEndpoint != want.RuntimeEndpoint || got.SystemCgroups != want.SystemCgroups {
		t.Errorf("Recorded = %+v, %v; want %+v", got, err, want)
	}
}
