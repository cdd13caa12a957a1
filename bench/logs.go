package bench

import (
	"encoding/json"
	"regexp"
	"strings"
	"time"
)

// Level is a log line's severity as far as the benchmark cares.
type Level int

// Levels.
const (
	Other Level = iota
	Warning
	Error
)

var (
	// klog's header: severity, mmdd, time with microseconds.
	klogLine = regexp.MustCompile(`^([IWEF])(\d{4}) (\d{2}:\d{2}:\d{2}\.\d{6})\s`)
	// logfmt as containerd writes it: time="..." level=warning msg=...
	logfmtLevel = regexp.MustCompile(`(?:^|\s)level=("?)(\w+)("?)(?:\s|$)`)
	logfmtTime  = regexp.MustCompile(`(?:^|\s)time="([^"]+)"`)
)

// jsonLine is a zap (etcd) or logr JSON line.
type jsonLine struct {
	Level string `json:"level"`
	TS    any    `json:"ts"`
}

func levelName(s string) Level {
	switch strings.ToLower(s) {
	case "warn", "warning", "w":
		return Warning
	case "error", "err", "fatal", "panic", "dpanic", "critical", "e", "f":
		return Error
	}
	return Other
}

// LineLevel says whether a log line is a warning or an error: klog's W/E/F
// headers, zap's JSON "level" (etcd), logfmt's level= (containerd), and a
// Go "panic:" line, indented or not. Pure.
func LineLevel(line string) Level {
	// Upstream's services mode logs through ktesting, indented.
	line = strings.TrimSpace(line)
	if m := klogLine.FindStringSubmatch(line); m != nil {
		return levelName(m[1])
	}
	if strings.HasPrefix(line, "{") {
		var j jsonLine
		if json.Unmarshal([]byte(line), &j) == nil {
			return levelName(j.Level)
		}
	}
	if m := logfmtLevel.FindStringSubmatch(line); m != nil && m[1] == m[3] {
		return levelName(m[2])
	}
	if strings.HasPrefix(line, "panic:") || strings.HasPrefix(line, "fatal error:") {
		return Error
	}
	return Other
}

// LineTime is the time a log line carries, in the formats LineLevel
// knows; klog's header has no year, so year is given and the time is in
// loc. ok is false for a line without a time. Pure.
func LineTime(line string, year int, loc *time.Location) (time.Time, bool) {
	line = strings.TrimSpace(line)
	if m := klogLine.FindStringSubmatch(line); m != nil {
		t, err := time.ParseInLocation("0102 15:04:05.000000", m[2]+" "+m[3], loc)
		if err != nil {
			return time.Time{}, false
		}
		return t.AddDate(year, 0, 0), true
	}
	if strings.HasPrefix(line, "{") {
		var j jsonLine
		if json.Unmarshal([]byte(line), &j) == nil {
			if s, ok := j.TS.(string); ok {
				if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
					return t, true
				}
			}
			if f, ok := j.TS.(float64); ok {
				sec := int64(f)
				return time.Unix(sec, int64((f-float64(sec))*1e9)), true
			}
		}
		return time.Time{}, false
	}
	if m := logfmtTime.FindStringSubmatch(line); m != nil {
		if t, err := time.Parse(time.RFC3339Nano, m[1]); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// CountIssues counts the warning and error lines among lines. Pure.
func CountIssues(lines []string) (warnings, errors int) {
	for _, l := range lines {
		switch LineLevel(l) {
		case Warning:
			warnings++
		case Error:
			errors++
		}
	}
	return warnings, errors
}

// CountIssuesBetween counts the warning and error lines whose time lies in
// [from, to]; lines without a time are not counted. Pure.
func CountIssuesBetween(lines []string, from, to time.Time, loc *time.Location) (warnings, errors int) {
	for _, l := range lines {
		t, ok := LineTime(l, from.In(loc).Year(), loc)
		if !ok || t.Before(from) || t.After(to) {
			continue
		}
		switch LineLevel(l) {
		case Warning:
			warnings++
		case Error:
			errors++
		}
	}
	return warnings, errors
}
