package gce

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"

	"github.com/node-e2e/harness/runner/remote/internal/gce/fakecompute"
)

func TestInstanceResource(t *testing.T) {
	c := NewConfig()
	c.Project, c.Zone, c.RunID, c.Subnet, c.Preemptible = "proj", "us-central1-b", "run-1", "sub", true
	s := Spec{Project: "debian-cloud", Description: "Debian 12", Metadata: map[string]string{"b": "2", "a": "1"},
		Accelerators: []Accelerator{{Type: "nvidia-tesla-t4", Count: 1}}}
	inst := c.InstanceResource("node-e2e-x-debian", "debian-12-v1", s)
	if inst.Name != "node-e2e-x-debian" || inst.Labels[LabelKey] != "run-1" ||
		inst.MachineType != "zones/us-central1-b/machineTypes/e2-standard-2" ||
		inst.Disks[0].InitializeParams.SourceImage != "projects/debian-cloud/global/images/debian-12-v1" ||
		!inst.Disks[0].AutoDelete || inst.Disks[0].InitializeParams.DiskSizeGb != 20 ||
		inst.NetworkInterfaces[0].AccessConfigs[0].Type != "ONE_TO_ONE_NAT" ||
		inst.NetworkInterfaces[0].Subnetwork != "regions/us-central1/subnetworks/sub" ||
		!inst.Scheduling.Preemptible || inst.Scheduling.OnHostMaintenance != "TERMINATE" ||
		inst.GuestAccelerators[0].AcceleratorType != "zones/us-central1-b/acceleratorTypes/nvidia-tesla-t4" {
		t.Errorf("instance = %+v", inst)
	}
	var keys []string
	for _, it := range inst.Metadata.Items {
		keys = append(keys, it.Key+"="+*it.Value)
	}
	if !reflect.DeepEqual(keys, []string{"a=1", "b=2"}) {
		t.Errorf("metadata %q", keys)
	}
	s.Machine = "n2-standard-8"
	if got := c.InstanceResource("n", "i", s).MachineType; got != "zones/us-central1-b/machineTypes/n2-standard-8" {
		t.Errorf("machine type %s", got)
	}
}

func TestConfigValidate(t *testing.T) {
	c := NewConfig()
	c.Project, c.Zone, c.RunID = "p", "z", "run-1"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.Project, c.RunID, c.Timeout = "", "Bad", 0
	err := c.Validate()
	for _, want := range []string{"no project", `run id "Bad"`, "timeout 0s"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want %q", err, want)
		}
	}
}

func newFake(t *testing.T) (*fakecompute.Server, *Compute) {
	t.Helper()
	fake := fakecompute.Start()
	t.Cleanup(fake.Close)
	c := NewConfig()
	c.Project, c.Zone, c.RunID, c.Endpoint, c.PollInterval = "proj", "zone-a", "run-1", fake.Endpoint(), 10*time.Millisecond
	g, err := New(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return fake, g
}

func TestComputeLifecycle(t *testing.T) {
	fake, g := newFake(t)
	fake.BootPolls = 2
	ctx := context.Background()
	inst := g.cfg.InstanceResource("vm-1", "img", Spec{Project: "p"})
	if err := g.Create(ctx, inst); err != nil {
		t.Fatal(err)
	}
	if err := g.Create(ctx, inst); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second create: %v", err)
	}
	ip, err := g.AwaitRunning(ctx, "vm-1")
	if err != nil || ip != "127.0.0.1" {
		t.Fatalf("AwaitRunning = %q, %v", ip, err)
	}
	out, err := g.SerialOutput(ctx, "vm-1")
	if err != nil || !strings.Contains(out, "vm-1") {
		t.Errorf("serial = %q, %v", out, err)
	}
	names, err := g.ListRun(ctx, "run-1")
	if err != nil || !reflect.DeepEqual(names, []string{"vm-1"}) {
		t.Errorf("ListRun = %q, %v", names, err)
	}
	if names, _ := g.ListRun(ctx, "other-run"); len(names) != 0 {
		t.Errorf("ListRun(other) = %q", names)
	}
	if err := g.Delete(ctx, "vm-1"); err != nil {
		t.Fatal(err)
	}
	if err := g.Delete(ctx, "vm-1"); err != nil {
		t.Errorf("deleting a deleted instance: %v", err)
	}
	if live := fake.Live(); len(live) != 0 {
		t.Errorf("left: %q", live)
	}
	actx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := g.AwaitRunning(actx, "missing"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("AwaitRunning(missing) = %v", err)
	}
}

func TestResolveImage(t *testing.T) {
	fake, g := newFake(t)
	fake.Images["debian-cloud"] = []*compute.Image{
		{Name: "debian-12-bookworm-v20261001", Family: "debian-12", CreationTimestamp: "2026-10-01T00:00:00.000-07:00"},
		{Name: "debian-12-bookworm-v20261101", Family: "debian-12", CreationTimestamp: "2026-11-01T00:00:00.000-07:00"},
		{Name: "debian-11-bullseye-v20261101", Family: "debian-11", CreationTimestamp: "2026-11-02T00:00:00.000-07:00"},
	}
	ctx := context.Background()
	for _, tc := range []struct {
		spec Spec
		want string
	}{
		{Spec{Image: "explicit", Project: "debian-cloud"}, "explicit"},
		{Spec{ImageFamily: "debian-12", Project: "debian-cloud"}, "debian-12-bookworm-v20261101"},
		{Spec{ImageRegex: "v20261001$", Project: "debian-cloud"}, "debian-12-bookworm-v20261001"},
		{Spec{ImageRegex: "^debian-", Project: "debian-cloud"}, "debian-11-bullseye-v20261101"},
		{Spec{ImageRegex: "^debian-", ImageFamily: "debian-12", Project: "debian-cloud"}, "debian-12-bookworm-v20261101"},
	} {
		got, err := g.ResolveImage(ctx, tc.spec)
		if err != nil || got != tc.want {
			t.Errorf("ResolveImage(%+v) = %q, %v; want %q", tc.spec, got, err, tc.want)
		}
	}
	if _, err := g.ResolveImage(ctx, Spec{ImageFamily: "nope", Project: "debian-cloud"}); err == nil {
		t.Error("unknown family resolved")
	}
	if _, err := g.ResolveImage(ctx, Spec{ImageRegex: "nope", Project: "debian-cloud"}); err == nil {
		t.Error("unmatched regex resolved")
	}
}

func TestLedgerAndReap(t *testing.T) {
	fake, g := newFake(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "results", LedgerFile)
	l, err := OpenLedger(path, LedgerData{RunID: "run-1", Project: "proj", Zone: "zone-a"})
	if err != nil {
		t.Fatal(err)
	}
	// vm-a: in the ledger and in the API. vm-b: in the ledger only
	// (its creation never happened). vm-c: labelled, not in the ledger
	// (the run died between the API call and the ledger write).
	// vm-other: another run's.
	for _, n := range []string{"vm-a", "vm-b"} {
		if err := l.Requested(n, "img"); err != nil {
			t.Fatal(err)
		}
	}
	g.Create(ctx, g.cfg.InstanceResource("vm-a", "img", Spec{Project: "p"}))
	g.Create(ctx, g.cfg.InstanceResource("vm-c", "img", Spec{Project: "p"}))
	fake.Add(&compute.Instance{Name: "vm-other", Labels: map[string]string{LabelKey: "run-2"}})

	d, err := ReadLedger(path)
	if err != nil || !reflect.DeepEqual(d.Live(), []string{"vm-a", "vm-b"}) || d.RunID != "run-1" {
		t.Fatalf("ledger on disk = %+v, %v", d, err)
	}
	if _, err := OpenLedger(path, LedgerData{RunID: "run-2"}); err == nil || !strings.Contains(err.Error(), "belongs to run run-1") {
		t.Errorf("opening another run's ledger: %v", err)
	}

	var reported []string
	deleted, leftAlone, err := Reap(ctx, g, l, "run-1", func(name string, _ time.Duration, err error) { reported = append(reported, name) })
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(deleted, []string{"vm-a", "vm-b", "vm-c"}) || len(leftAlone) != 0 || len(reported) != 3 {
		t.Errorf("Reap deleted %q, left alone %q, reported %q", deleted, leftAlone, reported)
	}
	if live := fake.Live(); !reflect.DeepEqual(live, []string{"vm-other"}) {
		t.Errorf("instances left: %q", live)
	}
	d, _ = ReadLedger(path)
	if len(d.Live()) != 0 {
		t.Errorf("ledger still lists %q", d.Live())
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("ledger file: %v %v", fi, err)
	}
}

// TestCreateNameTaken creates an instance whose name another run's (or a
// hand-made) instance holds: the error says so, names the instance and
// the fix, and the other instance is untouched.
func TestCreateNameTaken(t *testing.T) {
	for _, labels := range []map[string]string{
		{LabelKey: "run-2", "team": "x"},
		nil,
		{LabelKey: "run-1"}, // a reused run id: the name is still not this run's
	} {
		fake, g := newFake(t)
		fake.Add(&compute.Instance{Name: "vm-1", Labels: labels, Description: "someone else's"})
		err := g.Create(context.Background(), g.cfg.InstanceResource("vm-1", "img", Spec{Project: "p"}))
		var taken *NameTakenError
		if !errors.As(err, &taken) {
			t.Fatalf("labels %v: Create = %v, want a *NameTakenError", labels, err)
		}
		for _, want := range []string{"gce: create instance vm-1: an instance of that name already exists in proj/zone-a",
			"pick another --instance-name-prefix", "gcloud compute instances delete vm-1 --project proj --zone zone-a"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("labels %v: error %q lacks %q", labels, err, want)
			}
		}
		t.Log(err)
		if len(fake.Inserted()) != 0 || len(fake.Deleted()) != 0 || !reflect.DeepEqual(fake.Live(), []string{"vm-1"}) {
			t.Errorf("labels %v: inserted %d, deleted %q, live %q", labels, len(fake.Inserted()), fake.Deleted(), fake.Live())
		}
	}
}

// TestDeleteLeavesOthersAlone deletes instances by name: only the one
// labelled with this run's id goes.
func TestDeleteLeavesOthersAlone(t *testing.T) {
	fake, g := newFake(t)
	fake.Add(&compute.Instance{Name: "ours", Labels: map[string]string{LabelKey: "run-1"}})
	fake.Add(&compute.Instance{Name: "other-run", Labels: map[string]string{LabelKey: "run-2"}})
	fake.Add(&compute.Instance{Name: "hand-made"})
	ctx := context.Background()
	for name, want := range map[string]string{
		"other-run": "gce: instance other-run is not this run's (labelled node-e2e-run-id=run-2, not node-e2e-run-id=run-1): left alone",
		"hand-made": "gce: instance hand-made is not this run's (no labels, not node-e2e-run-id=run-1): left alone",
	} {
		err := g.Delete(ctx, name)
		if !errors.As(err, new(*NotOursError)) || err.Error() != want {
			t.Errorf("Delete(%s) = %v, want %s", name, err, want)
		}
	}
	if err := g.Delete(ctx, "ours"); err != nil {
		t.Errorf("Delete(ours) = %v", err)
	}
	if live := fake.Live(); !reflect.DeepEqual(live, []string{"hand-made", "other-run"}) || !reflect.DeepEqual(fake.Deleted(), []string{"ours"}) {
		t.Errorf("live %q, deleted %q", live, fake.Deleted())
	}
}

// TestReapLeavesOthersAlone reaps from a ledger that names an instance
// now held by another run: it is left alone, reported and recorded so.
func TestReapLeavesOthersAlone(t *testing.T) {
	fake, g := newFake(t)
	path := filepath.Join(t.TempDir(), LedgerFile)
	l, err := OpenLedger(path, LedgerData{RunID: "run-1", Project: "proj", Zone: "zone-a"})
	if err != nil {
		t.Fatal(err)
	}
	l.Requested("vm-ours", "img")
	l.Requested("vm-theirs", "img")
	fake.Add(&compute.Instance{Name: "vm-ours", Labels: map[string]string{LabelKey: "run-1"}})
	fake.Add(&compute.Instance{Name: "vm-theirs", Labels: map[string]string{LabelKey: "run-2"}})
	reported := map[string]error{}
	var mu sync.Mutex
	deleted, leftAlone, err := Reap(context.Background(), g, l, "run-1", func(name string, _ time.Duration, err error) {
		mu.Lock()
		defer mu.Unlock()
		reported[name] = err
	})
	if err != nil || !reflect.DeepEqual(deleted, []string{"vm-ours"}) || !reflect.DeepEqual(leftAlone, []string{"vm-theirs"}) {
		t.Errorf("Reap = %q, %q, %v", deleted, leftAlone, err)
	}
	if !errors.As(reported["vm-theirs"], new(*NotOursError)) || reported["vm-ours"] != nil {
		t.Errorf("reported %v", reported)
	}
	if live := fake.Live(); !reflect.DeepEqual(live, []string{"vm-theirs"}) {
		t.Errorf("live %q", live)
	}
	d, _ := ReadLedger(path)
	if len(d.Live()) != 0 || d.Instances[1].LeftAlone == "" {
		t.Errorf("ledger %+v", d)
	}
}
