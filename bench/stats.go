package bench

import (
	"math"
	"slices"
)

// Summary is the spread of one measurement over the rounds.
type Summary struct {
	N                int
	Median, Min, Max float64
}

// Summarize returns the median, minimum and maximum of xs (the median of
// an even count is the mean of the two middle values); ok is false when
// xs is empty. NaN values (a failed round) are left out. Pure.
func Summarize(xs []float64) (s Summary, ok bool) {
	v := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return Summary{}, false
	}
	slices.Sort(v)
	n := len(v)
	med := v[n/2]
	if n%2 == 0 {
		med = (v[n/2-1] + v[n/2]) / 2
	}
	return Summary{N: n, Median: med, Min: v[0], Max: v[n-1]}, true
}

// Ratio is ours/anchor of two medians; ok is false when the anchor's is 0.
func Ratio(ours, anchor Summary) (float64, bool) {
	if anchor.Median == 0 {
		return 0, false
	}
	return ours.Median / anchor.Median, true
}
