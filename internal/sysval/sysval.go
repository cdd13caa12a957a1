package sysval

import (
	"fmt"
	"runtime/debug"
	"strings"

	system "k8s.io/system-validators/validators"
)

// Module is the validators' module path.
const Module = "k8s.io/system-validators"

// Level is how an item or a finding counts.
type Level int

const (
	// Passed items meet the spec.
	Passed Level = iota
	// Warning items do not meet the spec, but the node can run.
	Warning
	// Failed items are required and missing: the run stops.
	Failed
)

func (l Level) String() string {
	switch l {
	case Passed:
		return "ok"
	case Warning:
		return "warning"
	default:
		return "FAILED"
	}
}

// Item is one thing a validator looked at, e.g. CONFIG_MEMCG or
// CGROUPS_PIDS, with what it found.
type Item struct {
	Validator, Name, Value string
	Level                  Level
}

// Finding is a validator's verdict: a warning, or a failed requirement.
type Finding struct {
	Validator string
	Level     Level
	Message   string
}

// Result is what the validators found on this host.
type Result struct {
	// Version is the validators' module version, when known.
	Version  string
	Items    []Item
	Findings []Finding
}

// Err names every failed requirement, or is nil when there is none.
func (r Result) Err() error {
	var msgs []string
	for _, f := range r.Findings {
		if f.Level == Failed {
			msgs = append(msgs, f.Validator+": "+f.Message)
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("system validation failed (%s): %s", Module, strings.Join(msgs, "; "))
}

// recorder is a system.Reporter that keeps what a validator reports.
type recorder struct {
	validator string
	items     *[]Item
}

// The library's result types are unexported constants: good, bad, warn.
const (
	libGood system.ValidationResultType = iota
	libBad
	libWarn
)

func (r recorder) Report(key, value string, t system.ValidationResultType) error {
	lvl := Passed
	switch t {
	case libBad:
		lvl = Failed
	case libWarn:
		lvl = Warning
	}
	*r.items = append(*r.items, Item{Validator: r.validator, Name: key, Value: value, Level: lvl})
	return nil
}

// Run checks this host against spec with the OS, kernel and cgroups
// validators. It never fails itself: what it cannot check is a finding.
func Run(spec system.SysSpec) Result {
	res := Result{Version: moduleVersion()}
	for _, name := range []string{"os", "kernel", "cgroups"} {
		rec := recorder{validator: name, items: &res.Items}
		var v system.Validator
		switch name {
		case "os":
			v = &system.OSValidator{Reporter: rec}
		case "kernel":
			v = &system.KernelValidator{Reporter: rec}
		case "cgroups":
			// No KubeletVersion: the harness's kubelet runs with
			// failCgroupV1: false, so cgroup v1 is a warning, not an error.
			v = &system.CgroupsValidator{Reporter: rec}
		}
		warns, errs := v.Validate(spec)
		res.Findings = append(res.Findings, Classify(name, warns, errs)...)
	}
	return res
}

// kernelConfigUnreadable is how the kernel validator's error begins when it
// found no kernel configuration (/proc/config.gz, /boot/config-<release>,
// ...) to read.
const kernelConfigUnreadable = "failed to parse kernel config:"

// Classify turns one validator's warnings and errors into findings. A
// kernel whose configuration cannot be read is a warning, not a failure:
// many hosts ship no /proc/config.gz or /boot/config-*, and then the kernel
// configuration items are simply not checked.
func Classify(validator string, warns, errs []error) []Finding {
	var out []Finding
	for _, w := range warns {
		out = append(out, Finding{Validator: validator, Level: Warning, Message: w.Error()})
	}
	for _, e := range errs {
		f := Finding{Validator: validator, Level: Failed, Message: e.Error()}
		if validator == "kernel" && strings.HasPrefix(f.Message, kernelConfigUnreadable) {
			f.Level = Warning
			f.Message = "kernel configuration not checked: " + strings.TrimSpace(strings.TrimPrefix(f.Message, kernelConfigUnreadable))
		}
		out = append(out, f)
	}
	return out
}

// Lines is the report of r, as system-validation.txt holds it: a header,
// one line per item, the warnings, the failures and a verdict.
func Lines(r Result) []string {
	head := Module
	if r.Version != "" {
		head += " " + r.Version
	}
	lines := []string{"system validation with " + head + " (default spec: OS, kernel version and config, cgroup controllers)"}
	width := 0
	for _, it := range r.Items {
		width = max(width, len(it.Name))
	}
	for _, it := range r.Items {
		lines = append(lines, fmt.Sprintf("  %-8s %-*s %-8s %s", it.Validator, width, it.Name, it.Level, it.Value))
	}
	var warns, fails []string
	for _, f := range r.Findings {
		s := "  " + f.Validator + ": " + f.Message
		if f.Level == Failed {
			fails = append(fails, s)
		} else {
			warns = append(warns, s)
		}
	}
	if len(warns) > 0 {
		lines = append(lines, "warnings:")
		lines = append(lines, warns...)
	}
	if len(fails) > 0 {
		lines = append(lines, "failed requirements:")
		lines = append(lines, fails...)
	}
	verdict := fmt.Sprintf("result: passed (%d items checked, warnings: %d)", len(r.Items), len(warns))
	if len(fails) > 0 {
		verdict = fmt.Sprintf("result: FAILED (failed requirements: %d, warnings: %d)", len(fails), len(warns))
	}
	return append(lines, verdict)
}

// Text is Lines joined, with a final newline.
func Text(r Result) string { return strings.Join(Lines(r), "\n") + "\n" }

// DefaultSpec is the library's default spec for Linux.
func DefaultSpec() system.SysSpec { return system.DefaultSysSpec }

func moduleVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, m := range bi.Deps {
		if m.Path == Module {
			return m.Version
		}
	}
	return ""
}
