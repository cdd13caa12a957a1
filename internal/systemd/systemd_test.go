package systemd

import (
	"slices"
	"testing"
)

func TestJournalArgs(t *testing.T) {
	for _, tc := range []struct {
		unit string
		n    int
		want []string
	}{
		{"node-e2e-kubelet-1a2b3c", 0, []string{"--no-pager", "-o", "short-precise", "-u", "node-e2e-kubelet-1a2b3c"}},
		{"node-e2e-kubelet-1a2b3c", 30, []string{"--no-pager", "-o", "short-precise", "-u", "node-e2e-kubelet-1a2b3c", "-n", "30"}},
	} {
		if got := journalArgs(tc.unit, tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("journalArgs(%q, %d) = %q, want %q", tc.unit, tc.n, got, tc.want)
		}
	}
}
