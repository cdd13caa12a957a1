package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	compute "google.golang.org/api/compute/v1"

	"github.com/node-e2e/harness/runner/remote/internal/gce"
	"github.com/node-e2e/harness/runner/remote/internal/gce/fakecompute"
)

// TestGCENameTaken runs an image whose VM name is held by a VM this run
// did not create (another run's, a hand-made one, one of a run given the
// same --run-id): the image fails, naming the VM and the fix, and that VM
// is neither used nor deleted, now or by a later reap.
func TestGCENameTaken(t *testing.T) {
	const runID = "20261125-180102-abc123"
	for _, tc := range []struct {
		name   string
		labels map[string]string
		says   string
	}{
		{"another run's", map[string]string{gce.LabelKey: "20261101-000000-ffffff"}, "labelled node-e2e-run-id=20261101-000000-ffffff"},
		{"hand-made", nil, "no labels"},
		{"same run id", map[string]string{gce.LabelKey: runID}, "labelled node-e2e-run-id=" + runID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := fakecompute.Start()
			defer fake.Close()
			fake.Add(&compute.Instance{Name: debianVM, Labels: tc.labels, Description: "not this run's"})
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "images.yaml"), []byte("images:\n  debian:\n    image: debian-12-bookworm-v20261101\n    project: debian-cloud\n"), 0o644)
			results := filepath.Join(dir, "results")
			code, stdout, stderr := runRunner(t, append(fakeInputs(t),
				"--image-config-file", filepath.Join(dir, "images.yaml"),
				"--project", "proj", "--zone", "us-central1-b", "--gce-endpoint", fake.Endpoint(),
				"--run-id", runID, "--results-dir", results)...)
			if code != exitFailed {
				t.Errorf("exit %d, want %d", code, exitFailed)
			}
			row := strings.Join(summaryRow(t, stdout, debianVM), " ")
			for _, want := range []string{"FAIL", "create: gce: create instance " + debianVM + ": an instance of that name already exists in proj/us-central1-b (" + tc.says + ")",
				"pick another --instance-name-prefix", "gcloud compute instances delete " + debianVM + " --project proj --zone us-central1-b"} {
				if !strings.Contains(row, want) {
					t.Errorf("summary row lacks %q: %s", want, row)
				}
			}
			if strings.Contains(stdout, debianVM+" delete") || strings.Contains(stderr, "reap") {
				t.Errorf("the run tried, or asks, to delete the VM it did not create")
			}
			if live := fake.Live(); !reflect.DeepEqual(live, []string{debianVM}) || len(fake.Deleted()) != 0 || len(fake.Inserted()) != 0 {
				t.Errorf("live %q, deleted %q, inserted %d", live, fake.Deleted(), len(fake.Inserted()))
			}
			if _, err := os.Stat(filepath.Join(results, debianVM, "serial-1.log")); err == nil {
				t.Errorf("the other VM's serial console was saved")
			}
			l, err := gce.ReadLedger(filepath.Join(results, gce.LedgerFile))
			if err != nil || len(l.Instances) != 1 || len(l.Live()) != 0 || !strings.Contains(l.Instances[0].LeftAlone, "already exists") {
				t.Errorf("ledger %+v, %v", l, err)
			}

			// A later reap leaves it alone too, unless it carries this
			// run's label: reap deletes what the label says is the run's.
			code, stdout, _ = runRunner(t, "reap", "--results-dir", results)
			want, live := "run "+runID+": 0 VMs deleted\n", []string{debianVM}
			if tc.name == "same run id" {
				want, live = "run "+runID+": 1 VMs deleted\n", nil
			}
			if code != exitOK || !strings.Contains(stdout, want) || !reflect.DeepEqual(fake.Live(), live) {
				t.Errorf("reap: exit %d, live %q; want %q and %q live", code, fake.Live(), want, live)
			}
		})
	}
}
