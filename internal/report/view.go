package report

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Geometry of the SVG charts, in viewBox units. Every time chart shares
// the x axis: the same width, label gutter and time span.
const (
	chartWidth  = 1000.0
	gutter      = 64.0
	laneHeight  = 22.0
	axisHeight  = 18.0
	chartHeight = 56.0
	maxPoints   = 800
)

// axis maps times onto the charts' x coordinate.
type axis struct {
	T0, T1 time.Time
}

func (a axis) span() time.Duration { return max(a.T1.Sub(a.T0), time.Millisecond) }

func (a axis) x(t time.Time) float64 {
	return gutter + float64(t.Sub(a.T0))/float64(a.span())*(chartWidth-gutter)
}

// ticks are about n labelled instants on the axis, at round offsets.
func (a axis) ticks(n int) []tick {
	step := niceStep(a.span() / time.Duration(n))
	var out []tick
	for d := time.Duration(0); d <= a.span(); d += step {
		out = append(out, tick{X: r1(a.x(a.T0.Add(d))), Label: fmtOffset(d)})
	}
	return out
}

type tick struct {
	X     float64
	Label string
}

// niceStep rounds d up to 1, 2, 5, 10, 15, 30 s or whole minutes.
func niceStep(d time.Duration) time.Duration {
	for _, s := range []time.Duration{
		100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond,
		time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
		time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	} {
		if d <= s {
			return s
		}
	}
	return time.Hour
}

func fmtOffset(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%gs", d.Seconds())
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}

// bar is one spec or suite node on the timeline.
type bar struct {
	X, Y, W, H float64
	Index      int
	Lane       int
	Name       string
	State      string
	Duration   string
	Spec       bool
	// Failure is the id of the failure's section, for a failed spec.
	Failure string
	// Label is the name, cut to fit a wide bar ("" for a narrow one).
	Label string
}

type timeline struct {
	Height float64
	Lanes  []lane
	Bars   []bar
	Ticks  []tick
	// Idle is the share of lane time no spec ran, in percent.
	Idle int
}

type lane struct {
	Y     float64
	Label string
}

// axisFor spans the timed specs and the resource samples.
func axisFor(r *Run) (axis, bool) {
	var a axis
	extend := func(t time.Time) {
		if t.IsZero() {
			return
		}
		if a.T0.IsZero() || t.Before(a.T0) {
			a.T0 = t
		}
		if t.After(a.T1) {
			a.T1 = t
		}
	}
	for _, s := range r.Specs {
		if drawn(s) {
			extend(s.Start)
			extend(s.End)
		}
	}
	if r.Resources != nil {
		for _, s := range r.Resources.Samples {
			extend(s.Time)
		}
	}
	return a, !a.T0.IsZero() && a.T1.After(a.T0)
}

// drawn reports whether a spec gets a bar: it ran (a spec filtered out
// or pending has no times).
func drawn(s Spec) bool {
	return !s.Start.IsZero() && !s.End.IsZero() && !s.End.Before(s.Start) && s.State != "pending" &&
		!(s.State == "skipped" && s.End.Sub(s.Start) < time.Millisecond)
}

func buildTimeline(r *Run, a axis) *timeline {
	if !r.Timed {
		return nil
	}
	tl := &timeline{Height: float64(r.Processes)*laneHeight + axisHeight, Ticks: a.ticks(8)}
	for p := 1; p <= r.Processes; p++ {
		tl.Lanes = append(tl.Lanes, lane{Y: float64(p-1) * laneHeight, Label: fmt.Sprintf("proc %d", p)})
	}
	busy := time.Duration(0)
	for i, s := range r.Specs {
		if !drawn(s) {
			continue
		}
		x0, x1 := a.x(s.Start), a.x(s.End)
		b := bar{
			X: r1(x0), Y: float64(s.Process-1)*laneHeight + 3, W: r1(math.Max(x1-x0, 1.5)), H: laneHeight - 6,
			Index: i, Lane: s.Process, Name: s.Name, State: s.State, Duration: fmtDuration(s.End.Sub(s.Start)),
			Spec: s.IsSpec(),
		}
		if s.Failure != nil {
			b.Failure = failureID(i)
		}
		if b.Spec {
			b.Label = fitLabel(s.Name, b.W)
		}
		if !s.IsSpec() {
			b.Y, b.H = b.Y+5, b.H-10
		} else {
			busy += s.End.Sub(s.Start)
		}
		tl.Bars = append(tl.Bars, b)
	}
	if total := time.Duration(r.Processes) * a.span(); total > 0 {
		tl.Idle = int(math.Round(100 * (1 - float64(busy)/float64(total))))
	}
	return tl
}

// chart is a line chart of one resource on the shared axis.
type chart struct {
	Title  string
	Max    string
	Points string
	Ticks  []tick
	Empty  bool
}

func buildCharts(r *Run, a axis) []chart {
	res := r.Resources
	if res == nil || len(res.Samples) == 0 {
		return nil
	}
	type series struct {
		title string
		unit  func(float64) string
		get   func(Sample) (float64, bool)
	}
	var all []series
	for _, p := range res.Processes {
		all = append(all,
			series{p + " CPU", func(v float64) string { return fmt.Sprintf("%.0f%% of a core", v) },
				func(s Sample) (float64, bool) { v, ok := s.CPU[p]; return v, ok }},
			series{p + " RSS", func(v float64) string { return fmt.Sprintf("%.0f MiB", v/(1<<20)) },
				func(s Sample) (float64, bool) { v, ok := s.RSS[p]; return float64(v), ok }})
	}
	all = append(all, series{"pods on the node", func(v float64) string { return fmt.Sprintf("%.0f pods", v) },
		func(s Sample) (float64, bool) { return float64(s.Pods), s.Pods >= 0 }})
	step := max(1, (len(res.Samples)+maxPoints-1)/maxPoints)
	var out []chart
	for _, se := range all {
		peak := 0.0
		for _, s := range res.Samples {
			if v, ok := se.get(s); ok {
				peak = math.Max(peak, v)
			}
		}
		c := chart{Title: se.title, Max: se.unit(peak)}
		scale := peak
		if scale == 0 {
			scale = 1
		}
		var pts strings.Builder
		n := 0
		for i := 0; i < len(res.Samples); i += step {
			s := res.Samples[i]
			v, ok := se.get(s)
			if !ok {
				continue
			}
			y := chartHeight - 2 - v/scale*(chartHeight-6)
			fmt.Fprintf(&pts, "%s,%s ", fmtF(a.x(s.Time)), fmtF(y))
			n++
		}
		c.Points, c.Empty = strings.TrimSpace(pts.String()), n == 0
		out = append(out, c)
	}
	if len(out) > 0 {
		out[len(out)-1].Ticks = a.ticks(8)
	}
	return out
}

// phaseBar is one phase in the phases chart.
type phaseBar struct {
	Name     string
	Duration string
	Percent  float64
	// Sub marks a step of the phase above it.
	Sub bool
}

// MarkSteps makes each phase named in steps a step of the next phase not
// named there: a process that times its own phases (the services process)
// has them listed before the phase that waited for it.
func MarkSteps(phases []Phase, steps map[string]bool) []Phase {
	out := append([]Phase(nil), phases...)
	parent := ""
	for i := len(out) - 1; i >= 0; i-- {
		if steps[out[i].Name] {
			out[i].Parent = parent
		} else {
			parent = out[i].Name
		}
	}
	return out
}

// buildPhases splits the phases into startup and teardown, each step
// listed under its parent and each bar scaled to the longest phase; a
// group's total counts top-level phases only (a parent includes its
// steps).
func buildPhases(ps []Phase) (startup, teardown []phaseBar, total [2]string) {
	var longest time.Duration
	names := map[string]bool{}
	for _, p := range ps {
		longest = max(longest, p.Duration)
		names[p.Name] = true
	}
	parent := func(p Phase) string {
		if p.Parent != "" && names[p.Parent] && p.Parent != p.Name {
			return p.Parent
		}
		if strings.HasPrefix(p.Name, "teardown: ") && names["teardown"] {
			return "teardown"
		}
		return ""
	}
	bar := func(p Phase, sub bool) phaseBar {
		b := phaseBar{Name: p.Name, Duration: fmtDuration(p.Duration), Sub: sub}
		if longest > 0 {
			b.Percent = math.Max(r1(100*float64(p.Duration)/float64(longest)), 0.3)
		}
		return b
	}
	var sums [2]time.Duration
	for _, p := range ps {
		if parent(p) != "" {
			continue
		}
		g := 0
		if strings.HasPrefix(p.Name, "teardown") {
			g = 1
		}
		bars := []phaseBar{bar(p, false)}
		for _, c := range ps {
			if parent(c) == p.Name {
				bars = append(bars, bar(c, true))
			}
		}
		sums[g] += p.Duration
		if g == 0 {
			startup = append(startup, bars...)
		} else {
			teardown = append(teardown, bars...)
		}
	}
	return startup, teardown, [2]string{fmtDuration(sums[0]), fmtDuration(sums[1])}
}

// fitLabel cuts name to the characters a bar w units wide holds (about 6
// units each at the labels' size); "" when fewer than 8 fit.
func fitLabel(name string, w float64) string {
	n := int((w - 6) / 6)
	r := []rune(name)
	switch {
	case n < 8:
		return ""
	case len(r) <= n:
		return name
	default:
		return string(r[:n-1]) + "…"
	}
}

func failureID(i int) string { return fmt.Sprintf("failure-%d", i) }

func fmtDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(10 * time.Millisecond).String()
	default:
		return d.Round(time.Second).String()
	}
}

func r1(f float64) float64 { return math.Round(f*10) / 10 }

func fmtF(f float64) string { return fmt.Sprintf("%.1f", f) }
