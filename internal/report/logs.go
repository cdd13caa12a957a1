package report

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Excerpt sizes: the lines before the failure time, the lines after it
// (at most windowLater after it), the last lines naming the spec's
// namespaces, and the longest line shown.
const (
	windowBefore  = 8
	windowAfter   = 4
	windowLater   = 5 * time.Second
	maxMatches    = 24
	maxLineLength = 300
)

// excerptLogs are the logs searched for a failed spec, with their titles.
var excerptLogs = []struct{ File, Title string }{
	{"kubelet.log", "kubelet"},
	{"containerd.log", "containerd"},
	{"services.log", "API server (services)"},
}

// Excerpt is the lines of one log that concern a failed spec.
type Excerpt struct {
	// Log is the log file's name in the report directory.
	Log string
	// Title names the component.
	Title string
	// Lines are in file order.
	Lines []LogLine
	// Matches is how many lines named the spec's namespaces in all; only
	// the last maxMatches are in Lines.
	Matches int
}

// LogLine is one line of a log.
type LogLine struct {
	// N is the 1-based line number.
	N int
	// Text is the line, cut at maxLineLength.
	Text string
	// Match is set when the line names one of the spec's namespaces;
	// otherwise it is in the window around the failure time.
	Match bool
	// Gap is set when lines were left out before this one.
	Gap bool
}

var (
	// klog: "I1129 22:51:03.123456" (no year, local time).
	klogTimeRE = regexp.MustCompile(`\b[IWEF](\d{4} \d{2}:\d{2}:\d{2}\.\d+)`)
	// containerd (logfmt), etcd (JSON), registry: RFC 3339.
	rfc3339RE = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})`)
)

// lineTime finds a line's timestamp. klog's lines carry neither year nor
// zone: they take ref's (the run's start, in the harness's zone).
func lineTime(line string, ref time.Time) (time.Time, bool) {
	if m := rfc3339RE.FindString(line); m != "" {
		if t, err := time.Parse(time.RFC3339Nano, m); err == nil {
			return t, true
		}
	}
	if m := klogTimeRE.FindStringSubmatch(line); m != nil {
		if t, err := time.ParseInLocation("0102 15:04:05.999999", m[1], ref.Location()); err == nil {
			return t.AddDate(ref.Year(), 0, 0), true
		}
	}
	return time.Time{}, false
}

// specScan collects one failed spec's lines from one log.
type specScan struct {
	spec     *Spec
	needles  []string
	before   []LogLine // ring of the last windowBefore lines before the failure
	after    []LogLine
	pivoted  bool
	matches  []LogLine // the last maxMatches matching lines
	nMatches int
}

func (s *specScan) add(l LogLine, t time.Time, timed bool) {
	for _, n := range s.needles {
		if strings.Contains(l.Text, n) {
			l.Match = true
			s.nMatches++
			s.matches = append(s.matches, l)
			if len(s.matches) > maxMatches {
				s.matches = s.matches[1:]
			}
			break
		}
	}
	fail := s.spec.Failure.Time
	if fail.IsZero() {
		return
	}
	if !s.pivoted && timed && !t.Before(fail) {
		s.pivoted = true
	}
	if !s.pivoted {
		s.before = append(s.before, l)
		if len(s.before) > windowBefore {
			s.before = s.before[1:]
		}
	} else if len(s.after) < windowAfter && (!timed || !t.After(fail.Add(windowLater))) {
		s.after = append(s.after, l)
	}
}

func (s *specScan) excerpt(file, title string) Excerpt {
	byN := map[int]LogLine{}
	for _, set := range [][]LogLine{s.before, s.after, s.matches} {
		for _, l := range set {
			if old, ok := byN[l.N]; !ok || l.Match && !old.Match {
				byN[l.N] = l
			}
		}
	}
	if !s.pivoted && s.nMatches == 0 {
		// The log ends before the failure: its last lines say nothing
		// about it.
		byN = map[int]LogLine{}
	}
	e := Excerpt{Log: file, Title: title, Matches: s.nMatches}
	for _, l := range byN {
		e.Lines = append(e.Lines, l)
	}
	sort.Slice(e.Lines, func(i, j int) bool { return e.Lines[i].N < e.Lines[j].N })
	for i := range e.Lines {
		e.Lines[i].Gap = i > 0 && e.Lines[i].N != e.Lines[i-1].N+1
	}
	return e
}

// addExcerpts reads each component log once and gives every failed spec
// its excerpts.
func (r *Run) addExcerpts() error {
	var failed []*Spec
	for i := range r.Specs {
		if r.Specs[i].Failure != nil {
			failed = append(failed, &r.Specs[i])
		}
	}
	if len(failed) == 0 {
		return nil
	}
	var errs []error
	for _, lf := range excerptLogs {
		path := filepath.Join(r.Dir, lf.File)
		if _, err := os.Stat(path); err != nil {
			continue
		}
		scans := make([]*specScan, len(failed))
		for i, s := range failed {
			scans[i] = &specScan{spec: s, needles: s.Namespaces}
		}
		if err := scanLog(path, r.Start, scans); err != nil {
			errs = append(errs, err)
			continue
		}
		for _, sc := range scans {
			if e := sc.excerpt(lf.File, lf.Title); len(e.Lines) > 0 {
				sc.spec.Failure.Excerpts = append(sc.spec.Failure.Excerpts, e)
			}
		}
	}
	return errors.Join(errs...)
}

func scanLog(path string, ref time.Time, scans []*specScan) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if ref.IsZero() {
		ref = time.Now()
	}
	br := bufio.NewReaderSize(f, 1<<16)
	var last time.Time
	haveTime := false
	for n := 1; ; n++ {
		line, err := br.ReadString('\n')
		if line == "" && err != nil {
			break
		}
		line = strings.TrimRight(line, "\r\n")
		if t, ok := lineTime(line, ref); ok {
			last, haveTime = t, true
		}
		if len(line) > maxLineLength {
			line = line[:maxLineLength] + "…"
		}
		l := LogLine{N: n, Text: strings.ToValidUTF8(line, "�")}
		for _, s := range scans {
			s.add(l, last, haveTime)
		}
		if err != nil {
			break
		}
	}
	return nil
}
