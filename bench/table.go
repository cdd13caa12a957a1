package bench

import (
	"fmt"
	"strings"
)

// Subject names: the harness and its two anchors, in the table's order.
const (
	Ours     = "ours"
	Envtest  = "envtest"
	Upstream = "upstream"
)

// Subjects are the table's columns, ours first.
var Subjects = []string{Ours, Envtest, Upstream}

// Unit says how a measure's values print.
type Unit string

// Units of the measures.
const (
	Seconds Unit = "s"
	MiB     Unit = "MiB"
	Count   Unit = "lines"
)

// Table collects each measure's values per subject, round after round,
// and renders medians, min/max and the ratio ours/anchor. Measures keep
// the order in which they were first added.
type Table struct {
	measures []string
	units    map[string]Unit
	values   map[string]map[string][]float64
}

// NewTable returns an empty table.
func NewTable() *Table {
	return &Table{units: map[string]Unit{}, values: map[string]map[string][]float64{}}
}

// Add records one round's value of measure for subject (NaN: the round
// failed).
func (t *Table) Add(measure string, unit Unit, subject string, v float64) {
	if _, ok := t.values[measure]; !ok {
		t.measures = append(t.measures, measure)
		t.units[measure] = unit
		t.values[measure] = map[string][]float64{}
	}
	t.values[measure][subject] = append(t.values[measure][subject], v)
}

// Values returns what was recorded for measure and subject.
func (t *Table) Values(measure, subject string) []float64 {
	return t.values[measure][subject]
}

// FormatValue prints v in unit u: seconds with 2 decimals (3 below 0.1 s),
// MiB and line counts as integers. Pure.
func FormatValue(v float64, u Unit) string {
	switch u {
	case Seconds:
		if v < 0.1 {
			return fmt.Sprintf("%.3f s", v)
		}
		return fmt.Sprintf("%.2f s", v)
	case MiB:
		return fmt.Sprintf("%.0f MiB", v)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

// cell is "median (min–max, n)" or "—" when the subject has no value.
func cell(s Summary, ok bool, u Unit, rounds int) string {
	if !ok {
		return "—"
	}
	c := FormatValue(s.Median, u)
	if s.N > 1 {
		c += fmt.Sprintf(" (%s–%s)", strings.TrimSuffix(strings.TrimSuffix(FormatValue(s.Min, u), " s"), " MiB"), FormatValue(s.Max, u))
	}
	if s.N < rounds {
		c += fmt.Sprintf(" [%d of %d rounds]", s.N, rounds)
	}
	return c
}

// Markdown renders the table: one row per measure, for each subject its
// median with min–max, and after each anchor the ratio ours/anchor of the
// medians. rounds is the number of rounds run, to flag failed ones. Pure.
func (t *Table) Markdown(rounds int) string {
	var b strings.Builder
	b.WriteString("| measure | ours |")
	for _, a := range Subjects[1:] {
		fmt.Fprintf(&b, " %s | ours/%s |", a, a)
	}
	b.WriteString("\n| --- | --- |")
	for range Subjects[1:] {
		b.WriteString(" --- | --- |")
	}
	b.WriteString("\n")
	for _, m := range t.measures {
		u := t.units[m]
		ours, oursOK := Summarize(t.values[m][Ours])
		fmt.Fprintf(&b, "| %s | %s |", m, cell(ours, oursOK, u, rounds))
		for _, a := range Subjects[1:] {
			s, ok := Summarize(t.values[m][a])
			ratio := "—"
			if ok && oursOK {
				if r, rok := Ratio(ours, s); rok {
					ratio = fmt.Sprintf("%.2f", r)
				}
			}
			fmt.Fprintf(&b, " %s | %s |", cell(s, ok, u, rounds), ratio)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// MarkdownOurs renders the measures that only the harness has (its
// phases) as "| name | ours |" rows, median with min–max. Pure.
func (t *Table) MarkdownOurs(title string, rounds int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| %s | ours |\n| --- | --- |\n", title)
	for _, m := range t.measures {
		s, ok := Summarize(t.values[m][Ours])
		fmt.Fprintf(&b, "| %s | %s |\n", m, cell(s, ok, t.units[m], rounds))
	}
	return b.String()
}
