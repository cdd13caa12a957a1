package cluster

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/node-e2e/harness/services/registry"
)

func TestParseSpecList(t *testing.T) {
	got, err := ParseSpecList("Pods [sig-node] runs [NodeConformance]\nHarness checks a [b] thing [Harness, Serial]\nUnlabelled spec []\n3 specs\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []Spec{
		{Text: "Pods [sig-node] runs", Labels: []string{"NodeConformance"}},
		{Text: "Harness checks a [b] thing", Labels: []string{"Harness", "Serial"}},
		{Text: "Unlabelled spec"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseSpecList\n got %q\nwant %q", got, want)
	}
	for _, bad := range []string{"", "a [b]\n2 specs\n", "no labels\n1 specs\n", "a [b]\n"} {
		if _, err := ParseSpecList(bad); err == nil {
			t.Errorf("ParseSpecList(%q) = nil error", bad)
		}
	}
}

// TestListSpecsWithTheBuiltSuite lists the built e2e_node.test's specs and
// selects from them as Ginkgo would.
func TestListSpecsWithTheBuiltSuite(t *testing.T) {
	bin, _ := filepath.Abs("../../../../_output/bin/e2e_node.test")
	if _, err := os.Stat(bin); err != nil {
		t.Skip("needs a built e2e_node.test (hack/build.sh)")
	}
	start := time.Now()
	specs, err := ListSpecsWith(bin)(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d specs listed in %v", len(specs), time.Since(start).Round(time.Millisecond))
	serial, err := SelectSpecs(specs, Selection{LabelFilter: "Serial || Disruptive"})
	if err != nil || len(serial) == 0 || len(serial) == len(specs) {
		t.Fatalf("Serial || Disruptive selects %d of %d specs (%v)", len(serial), len(specs), err)
	}
	if err := CheckReplicas(context.Background(), 2, Selection{}, ListSpecsWith(bin)); err == nil {
		t.Error("the whole suite at 2 replicas passes CheckReplicas")
	}
	if err := CheckReplicas(context.Background(), 2, Selection{LabelFilter: "NodeConformance && !Serial && !Disruptive"}, ListSpecsWith(bin)); err != nil {
		t.Errorf("conformance without Serial and Disruptive: %v", err)
	}
}

func TestSelectionFromGinkgoArgs(t *testing.T) {
	got := SelectionFromGinkgoArgs([]string{"--procs=2", "--focus=Pods", "-skip", "Slow", "--ginkgo.focus=Probe", "--label-filter=!Serial", "--timeout=1h"})
	want := Selection{Focus: []string{"Pods", "Probe"}, Skip: []string{"Slow"}, LabelFilter: "!Serial"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SelectionFromGinkgoArgs = %+v, want %+v", got, want)
	}
}

func TestSelectSpecsAsGinkgo(t *testing.T) {
	texts := func(sel Selection) []string {
		s, err := SelectSpecs(testSpecs, sel)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, x := range s {
			out = append(out, x.Text)
		}
		return out
	}
	// Ginkgo matches focus against "<suite description> <spec text>".
	if got := texts(Selection{Focus: []string{"^Node e2e suite Pods"}}); len(got) != 2 {
		t.Errorf("focus on the suite description: %q", got)
	}
	if got := texts(Selection{Focus: []string{"runs", "restart"}, Skip: []string{"kubelet back"}}); !slices.Equal(got, []string{"Pods runs a pod"}) {
		t.Errorf("or-ed focus with skip: %q", got)
	}
	if got := texts(Selection{LabelFilter: "Serial && !Disruptive"}); !slices.Equal(got, []string{"Harness node taints taints a node"}) {
		t.Errorf("label filter: %q", got)
	}
}

// TestProbeRegistry probes the harness's own registry (in process, basic
// auth on writes): pushable with its credentials, refused without, and a
// closed port unreachable, each failure a --registry usage error.
func TestProbeRegistry(t *testing.T) {
	cfg := registry.NewConfig()
	reg := registry.New(cfg)
	if err := reg.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer reg.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), PreflightTimeout)
	defer cancel()
	good := registry.Remote{Host: reg.Host(), Prefix: "team", Username: cfg.Username, Password: cfg.Password}
	start := time.Now()
	if err := ProbeRegistry(ctx, good); err != nil {
		t.Errorf("ProbeRegistry with the registry's credentials = %v", err)
	}
	t.Logf("probe took %v", time.Since(start).Round(time.Millisecond))

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	for _, c := range []struct {
		name string
		r    registry.Remote
		want string
	}{
		{"wrong password", registry.Remote{Host: reg.Host(), Username: cfg.Username, Password: "nope"}, "refuses a push"},
		{"anonymous", registry.Remote{Host: reg.Host()}, "refuses a push"},
		{"closed port", registry.Remote{Host: closed}, "unreachable"},
		{"bad name", registry.Remote{Host: "UPPER CASE"}, "host[:port]"},
	} {
		err := ProbeRegistry(ctx, c.r)
		t.Logf("%s: %v", c.name, err)
		var ue *UsageError
		if !errors.As(err, &ue) || ue.Flag != "--registry" || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: ProbeRegistry = %v, want a --registry usage error saying %q", c.name, err, c.want)
		}
	}
}
