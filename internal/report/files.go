package report

import (
	"time"
)

// File names in a report directory.
const (
	// PageFile is the rendered page.
	PageFile = "report.html"
	// IndexFile is the page over the hosts of a remote run.
	IndexFile = "index.html"
	// GinkgoJSONFile is Ginkgo's JSON report (written next to the JUnit).
	GinkgoJSONFile = "report.json"
	// PhasesFile holds the node's startup and teardown phases.
	PhasesFile = "phases.json"
	// ResourcesFile holds the Sampler's samples.
	ResourcesFile = "resources.json"
	// RunFile holds RunInfo.
	RunFile = "run.json"
)

// RunInfo describes the run and its node; the harness writes it to run.json.
type RunInfo struct {
	// RunID is the harness's run id.
	RunID string `json:"runID,omitempty"`
	// NodeName is the Node's name.
	NodeName string `json:"nodeName,omitempty"`
	// KubeletVersion is the Node's status.nodeInfo.kubeletVersion.
	KubeletVersion string `json:"kubeletVersion,omitempty"`
	// RuntimeVersion is the Node's status.nodeInfo.containerRuntimeVersion
	// (e.g. containerd://1.7.24).
	RuntimeVersion string `json:"runtimeVersion,omitempty"`
	// CgroupDriver is cgroupfs or systemd.
	CgroupDriver string `json:"cgroupDriver,omitempty"`
	// CgroupVersion is "v1" or "v2".
	CgroupVersion string `json:"cgroupVersion,omitempty"`
	// Launcher is how the kubelet was launched: direct or systemd.
	Launcher string `json:"launcher,omitempty"`
	// Command is the command line that reproduces the run.
	Command string `json:"command,omitempty"`
	// Kernel is the node's kernel release.
	Kernel string `json:"kernel,omitempty"`
}

// Phase is one timed step of startup or teardown, as in phases.json
// (internal/run.Phase's JSON form: a duration in nanoseconds).
type Phase struct {
	Name     string        `json:"name"`
	Duration time.Duration `json:"duration"`
	// Parent names the phase this one is a step of ("" for a top-level
	// phase); a parent's duration includes its steps'. Steps named
	// "teardown: ..." are taken as steps of "teardown" when it is present.
	Parent string `json:"parent,omitempty"`
}

// Resources is the content of resources.json.
type Resources struct {
	// Interval is the sampling period.
	Interval time.Duration `json:"interval"`
	// Processes names the sampled processes, in the order charts show them.
	Processes []string `json:"processes"`
	// Samples are in time order.
	Samples []Sample `json:"samples"`
}

// Sample is the node at one instant.
type Sample struct {
	Time time.Time `json:"t"`
	// CPU is each process's CPU use since the previous sample, in percent
	// of one core; absent when the process was not found.
	CPU map[string]float64 `json:"cpu,omitempty"`
	// RSS is each process's resident set size in bytes.
	RSS map[string]int64 `json:"rss,omitempty"`
	// Pods is the number of pods bound to the node, -1 when the API server
	// did not answer.
	Pods int `json:"pods"`
}
