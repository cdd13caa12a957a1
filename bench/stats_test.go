package bench

import (
	"math"
	"testing"
)

func TestSummarize(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name string
		in   []float64
		want Summary
		ok   bool
	}{
		{"empty", nil, Summary{}, false},
		{"only failed rounds", []float64{nan, nan}, Summary{}, false},
		{"one", []float64{2.5}, Summary{N: 1, Median: 2.5, Min: 2.5, Max: 2.5}, true},
		{"odd, unsorted", []float64{3, 1, 2, 5, 4}, Summary{N: 5, Median: 3, Min: 1, Max: 5}, true},
		{"even: mean of the middle two", []float64{4, 1, 3, 2}, Summary{N: 4, Median: 2.5, Min: 1, Max: 4}, true},
		{"a failed round is left out", []float64{1, nan, 3, 2}, Summary{N: 3, Median: 2, Min: 1, Max: 3}, true},
		{"outlier does not move the median", []float64{2, 2.1, 60, 1.9, 2}, Summary{N: 5, Median: 2, Min: 1.9, Max: 60}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Summarize(tc.in)
			if ok != tc.ok || got != tc.want {
				t.Errorf("Summarize(%v) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestRatio(t *testing.T) {
	for _, tc := range []struct {
		ours, anchor float64
		want         float64
		ok           bool
	}{
		{2, 4, 0.5, true},
		{3, 2, 1.5, true},
		{1, 0, 0, false},
	} {
		got, ok := Ratio(Summary{Median: tc.ours}, Summary{Median: tc.anchor})
		if ok != tc.ok || math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("Ratio(%v, %v) = %v, %v; want %v, %v", tc.ours, tc.anchor, got, ok, tc.want, tc.ok)
		}
	}
}
