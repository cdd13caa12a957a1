package sandbox

import (
	"slices"
	"testing"
	"time"
)

// TestIntegrationBootTime boots and stops five sandboxes one after the
// other and reports the median boot (launch to `systemctl
// is-system-running` = running) and shutdown (Stop) times. Every boot must
// succeed and leave nothing behind.
func TestIntegrationBootTime(t *testing.T) {
	skipUnlessIntegration(t)
	const n = 5
	var boots, stops []time.Duration
	for range n {
		sb := MustBoot(t, Config{})
		fp := footprintOf(t, sb)
		MustRun(t, sb, "true")
		if err := sb.Stop(); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		fp.MustBeGone(t)
		boots, stops = append(boots, sb.BootTime()), append(stops, sb.ShutdownTime())
	}
	t.Logf("boot times: %v; median %s", boots, median(boots))
	t.Logf("shutdown times: %v; median %s", stops, median(stops))
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
