package controlplane

import (
	"testing"
	"time"
)

func TestRemainingWait(t *testing.T) {
	for _, c := range []struct {
		estimate int64
		want     time.Duration
	}{
		{0, 250 * time.Millisecond},
		{1, 500 * time.Millisecond},
		{2, time.Second},
		{4, 2 * time.Second},
		{30, 2 * time.Second},
		{-1, 250 * time.Millisecond},
	} {
		if got := remainingWait(c.estimate); got != c.want {
			t.Errorf("remainingWait(%d) = %s, want %s", c.estimate, got, c.want)
		}
	}
}
