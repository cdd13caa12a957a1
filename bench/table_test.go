package bench

import (
	"math"
	"testing"
)

func TestFormatValue(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		u    Unit
		want string
	}{
		{2.654, Seconds, "2.65 s"},
		{0.0423, Seconds, "0.042 s"},
		{0, Seconds, "0.000 s"},
		{313.6, MiB, "314 MiB"},
		{272, Count, "272"},
	} {
		if got := FormatValue(tc.v, tc.u); got != tc.want {
			t.Errorf("FormatValue(%v, %q) = %q, want %q", tc.v, tc.u, got, tc.want)
		}
	}
}

func TestTableMarkdown(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fill   func(*Table)
		rounds int
		want   string
	}{
		{
			name:   "empty",
			fill:   func(*Table) {},
			rounds: 5,
			want: "| measure | ours | envtest | ours/envtest | upstream | ours/upstream |\n" +
				"| --- | --- | --- | --- | --- | --- |\n",
		},
		{
			name: "ratios against both anchors, min–max over rounds",
			fill: func(tb *Table) {
				for _, v := range []float64{1, 3, 2} {
					tb.Add("control plane ready", Seconds, Ours, v)
				}
				for _, v := range []float64{4, 4, 5} {
					tb.Add("control plane ready", Seconds, Envtest, v)
				}
				for _, v := range []float64{8, 9, 10} {
					tb.Add("control plane ready", Seconds, Upstream, v)
				}
			},
			rounds: 3,
			want: "| measure | ours | envtest | ours/envtest | upstream | ours/upstream |\n" +
				"| --- | --- | --- | --- | --- | --- |\n" +
				"| control plane ready | 2.00 s (1.00–3.00 s) | 4.00 s (4.00–5.00 s) | 0.50 | 9.00 s (8.00–10.00 s) | 0.22 |\n",
		},
		{
			name: "ours only, a failed round flagged, measures in insertion order",
			fill: func(tb *Table) {
				tb.Add("whole one-spec run", Seconds, Ours, 4.5)
				tb.Add("peak RSS", MiB, Ours, 300)
				tb.Add("whole one-spec run", Seconds, Ours, math.NaN())
				tb.Add("peak RSS", MiB, Ours, 320)
			},
			rounds: 2,
			want: "| measure | ours | envtest | ours/envtest | upstream | ours/upstream |\n" +
				"| --- | --- | --- | --- | --- | --- |\n" +
				"| whole one-spec run | 4.50 s [1 of 2 rounds] | — | — | — | — |\n" +
				"| peak RSS | 310 MiB (300–320 MiB) | — | — | — | — |\n",
		},
		{
			name: "a zero anchor median has no ratio",
			fill: func(tb *Table) {
				tb.Add("teardown warning lines", Count, Ours, 3)
				tb.Add("teardown warning lines", Count, Envtest, 0)
			},
			rounds: 1,
			want: "| measure | ours | envtest | ours/envtest | upstream | ours/upstream |\n" +
				"| --- | --- | --- | --- | --- | --- |\n" +
				"| teardown warning lines | 3 | 0 | — | — | — |\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := NewTable()
			tc.fill(tb)
			if got := tb.Markdown(tc.rounds); got != tc.want {
				t.Errorf("Markdown:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestTableMarkdownOurs(t *testing.T) {
	tb := NewTable()
	tb.Add("apiserver ready", Seconds, Ours, 2.1)
	tb.Add("teardown: stop services", Seconds, Ours, 1.2)
	tb.Add("apiserver ready", Seconds, Ours, 1.9)
	tb.Add("teardown: stop services", Seconds, Ours, 1.0)
	tb.Add("apiserver ready", Seconds, Ours, 2.0)
	want := "| phase | ours |\n| --- | --- |\n" +
		"| apiserver ready | 2.00 s (1.90–2.10 s) |\n" +
		"| teardown: stop services | 1.10 s (1.00–1.20 s) [2 of 3 rounds] |\n"
	if got := tb.MarkdownOurs("phase", 3); got != want {
		t.Errorf("MarkdownOurs:\n%s\nwant:\n%s", got, want)
	}
}
