package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/node-e2e/harness/runner/remote/internal/hostrun"
)

// Summary is a suite pod's own account of its run: the entrypoint's
// one-line JSON termination message,
//
//	{"exit":0,"sha256":"…","bytes":123,"ran":3,"specs":80,"passed":3,"failed":0,"flaked":0,"pending":0,"skipped":77}
//
// written after ginkgo ended.
type Summary struct {
	// Exit is ginkgo's exit status.
	Exit int
	// SHA256 and Bytes are the report tarball's digest (hex) and size, as
	// the pod wrote it; SHA256 is empty when the pod could not write it.
	SHA256 string
	Bytes  int64
	// Counted is true when ginkgo printed its summary; the counts below
	// are zero otherwise (a BeforeSuite failure, a crash).
	Counted bool
	// Ran of Specs specs ran: Passed and Failed (Flaked ones passed on a
	// retry and count as passed); Pending and Skipped did not run.
	Ran, Specs, Passed, Failed, Flaked, Pending, Skipped int
	// Error is the entrypoint's own failure, such as a report it could not
	// write.
	Error string
}

// summaryJSON is Summary's wire form: the counts are absent when ginkgo
// printed no summary.
type summaryJSON struct {
	Exit    *int   `json:"exit"`
	SHA256  string `json:"sha256"`
	Bytes   int64  `json:"bytes"`
	Ran     *int   `json:"ran"`
	Specs   int    `json:"specs"`
	Passed  *int   `json:"passed"`
	Failed  *int   `json:"failed"`
	Flaked  int    `json:"flaked"`
	Pending *int   `json:"pending"`
	Skipped *int   `json:"skipped"`
	Error   string `json:"error"`
}

// ParseSummary reads a termination message as the entrypoint writes it.
// Anything else (no message, or the log's tail the kubelet puts there when
// the container failed before writing one) is an error quoting its end.
func ParseSummary(msg string) (Summary, error) {
	line := strings.TrimSpace(msg)
	var w summaryJSON
	if !strings.HasPrefix(line, "{") || strings.Contains(line, "\n") {
		return Summary{}, fmt.Errorf("no summary from the pod (the entrypoint did not finish)%s", quoteTail(msg))
	}
	if err := json.Unmarshal([]byte(line), &w); err != nil || w.Exit == nil {
		return Summary{}, fmt.Errorf("unreadable summary from the pod %q: %v", line, cmpErr(err, "no exit status"))
	}
	s := Summary{Exit: *w.Exit, SHA256: w.SHA256, Bytes: w.Bytes, Specs: w.Specs, Flaked: w.Flaked, Error: w.Error}
	if w.Ran != nil && w.Passed != nil && w.Failed != nil && w.Pending != nil && w.Skipped != nil {
		s.Counted = true
		s.Ran, s.Passed, s.Failed, s.Pending, s.Skipped = *w.Ran, *w.Passed, *w.Failed, *w.Pending, *w.Skipped
	}
	return s, nil
}

func cmpErr(err error, otherwise string) string {
	if err != nil {
		return err.Error()
	}
	return otherwise
}

// quoteTail is ": " and the last line of msg quoted, or "" for none.
func quoteTail(msg string) string {
	lines := strings.Split(strings.TrimSpace(msg), "\n")
	if last := strings.TrimSpace(lines[len(lines)-1]); last != "" {
		return fmt.Sprintf(": its termination message ends %q", hostrun.Printable(last))
	}
	return ""
}

// Result is what came back from one member.
type Result struct {
	// Result is what the summary table shows (hostrun.WriteSummary): Host
	// is the member's artifacts name, Passed, the JUnit Counts, the suite
	// container's Duration, ArtifactsDir, and Reason: every failed check,
	// "; "-separated.
	hostrun.Result
	// Member is the node and replica.
	Member Member
	// Pod is the suite pod's name, empty when none was found.
	Pod string
	// Phase is the pod's phase.
	Phase corev1.PodPhase
	// Ended says why the pod ended when it did not end by itself: evicted,
	// deleted, past its deadline, a container killed (OOMKilled, a signal).
	// Empty for a pod whose suite ran to its end.
	Ended string
	// Summary is the pod's own summary; nil when it left none.
	Summary *Summary
	// Checks are the failed checks, each naming what failed (the same
	// text as Reason).
	Checks []string
	// ReportBytes is the size of the fetched report tarball.
	ReportBytes int64
}

func (r *Result) fail(format string, args ...any) {
	r.Checks = append(r.Checks, fmt.Sprintf(format, args...))
}

// ArtifactsName is m's directory name under ARTIFACTS: the node, with
// "-<replica>" when the run has more than one replica per node.
func (r Run) ArtifactsName(m Member) string {
	if r.Defaulted().Replicas > 1 {
		return m.Node + "-" + strconv.Itoa(m.Replica)
	}
	return m.Node
}

// suiteStatus is the suite container's status in p, nil if none.
func suiteStatus(p *corev1.Pod) *corev1.ContainerStatus {
	for i := range p.Status.ContainerStatuses {
		if p.Status.ContainerStatuses[i].Name == "suite" {
			return &p.Status.ContainerStatuses[i]
		}
	}
	return nil
}

// endReason says why p ended when its suite did not end by itself: the
// pod's status reason and message (Evicted, DeadlineExceeded), its
// DisruptionTarget condition (an eviction through the API, a taint, a
// preemption, the kubelet's shutdown), its deletion, and the suite
// container's termination when it was killed (OOMKilled, a signal) or
// ended without the entrypoint's summary. Empty otherwise.
func endReason(p *corev1.Pod, summarized bool) string {
	var parts []string
	if p.Status.Reason != "" || p.Status.Message != "" {
		parts = append(parts, strings.TrimSpace(p.Status.Reason+": "+p.Status.Message))
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.DisruptionTarget && c.Status == corev1.ConditionTrue {
			parts = append(parts, strings.TrimSpace("disrupted, "+c.Reason+": "+c.Message))
		}
	}
	if p.DeletionTimestamp != nil {
		parts = append(parts, "pod deleted")
	}
	if cs := suiteStatus(p); cs != nil && cs.State.Terminated != nil {
		t := cs.State.Terminated
		killed := t.Reason == "OOMKilled" || t.Signal != 0 || t.ExitCode > 128
		if killed || !summarized {
			s := fmt.Sprintf("container terminated: exit %d", t.ExitCode)
			if t.Reason != "" {
				s += " " + t.Reason
			}
			if sig := killSignal(t); sig != "" {
				s += " (" + sig + ")"
			}
			parts = append(parts, s)
		}
	}
	parts = slices.DeleteFunc(parts, func(s string) bool { return s == ":" })
	return strings.Join(parts, "; ")
}

// killSignal names the signal that ended a container: its Signal field,
// or an exit status above 128 (a shell's 128+n).
func killSignal(t *corev1.ContainerStateTerminated) string {
	n := int(t.Signal)
	if n == 0 && t.ExitCode > 128 && t.ExitCode < 128+65 {
		n = int(t.ExitCode) - 128
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("signal %d: %s", n, syscall.Signal(n))
}

// errLogHandlerOff is Collect's error when a kubelet does not serve
// /logs/.
var errLogHandlerOff = errors.New("the kubelet does not serve /logs/")

// memberPod is m's newest suite pod in the run namespace, nil when there
// is none.
func memberPod(ctx context.Context, cs kubernetes.Interface, r Run, m Member) (*corev1.Pod, error) {
	r = r.Defaulted()
	sel := SyncSelector(r.ID) + "," + LabelNode + "=" + m.Node + "," + LabelReplica + "=" + strconv.Itoa(m.Replica)
	l, err := cs.CoreV1().Pods(r.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("cluster: %s: list its suite pods: %w", m, err)
	}
	var newest *corev1.Pod
	for i := range l.Items {
		p := &l.Items[i]
		if newest == nil || newest.CreationTimestamp.Before(&p.CreationTimestamp) {
			newest = p
		}
	}
	return newest, nil
}

// reportProxyPath is the node proxy's path of m's report tarball: the
// kubelet's /logs/ handler serves the node's /var/log.
func (r Run) reportProxyPath(m Member) []string {
	rel := strings.TrimPrefix(r.ReportDir(m), "/var/log/")
	return append([]string{"/api/v1/nodes", m.Node, "proxy", "logs"}, append(strings.Split(rel, "/"), "report.tar.gz")...)
}

// Collect fetches and verifies m's results into destDir (the member's
// artifacts directory, created if needed; see ArtifactsName): it reads
// m's suite pod and its termination message, GETs the report tarball
// from the node's ReportDir through the API server's node proxy to the
// kubelet's /logs/ handler (needs nodes/proxy get; it works after the
// pod, and the runner, went away), and judges it all with Verify. A
// tarball that was fetched but not extracted (tampered with, refused) is
// kept as destDir/report.tar.gz for inspection. The error is for what
// kept Collect from judging (the API server unreachable, destDir not
// writable); a member that failed is a Result with Passed false.
func Collect(ctx context.Context, cs kubernetes.Interface, r Run, m Member, destDir string) (Result, error) {
	r = r.Defaulted()
	pod, err := memberPod(ctx, cs, r, m)
	if err != nil {
		return Result{}, err
	}
	if err := os.MkdirAll(destDir, 0o755); err != nil {
		return Result{}, fmt.Errorf("cluster: %s: %w", m, err)
	}
	part := filepath.Join(destDir, ".report.tar.gz.part")
	defer os.Remove(part)
	ev := Evidence{Run: r, Member: m, Pod: pod, Dir: destDir}
	if err := fetchReport(ctx, cs, r, m, part); err != nil {
		ev.FetchErr = err
		if errors.Is(err, errLogHandlerOff) || ctx.Err() != nil {
			return Result{}, err
		}
	} else {
		ev.Tarball = part
	}
	res := Verify(ev)
	if ev.Tarball != "" && !res.Passed && !reportExtracted(destDir) {
		if err := os.Rename(part, filepath.Join(destDir, "report.tar.gz")); err != nil {
			res.Notes = append(res.Notes, "could not keep the report tarball: "+err.Error())
		}
	}
	return res, nil
}

// reportExtracted tells whether dir holds the entrypoint's ginkgo.log.
func reportExtracted(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "ginkgo.log"))
	return err == nil
}

// fetchReport GETs m's report tarball into path, at most
// hostrun.DefaultLimits().Bytes. Errors say which node and what to do:
// the kubelet's log handler off, the report missing, no permission.
func fetchReport(ctx context.Context, cs kubernetes.Interface, r Run, m Member, path string) error {
	p := r.reportProxyPath(m)
	body, err := cs.CoreV1().RESTClient().Get().AbsPath(p...).Stream(ctx)
	if err != nil {
		return fetchError(ctx, cs, m, strings.Join(p[4:], "/"), err)
	}
	defer body.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	limit := hostrun.DefaultLimits().Bytes
	n, err := io.Copy(f, io.LimitReader(body, limit+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return fmt.Errorf("node %s: GET /logs/%s broke off after %d bytes: %w", m.Node, strings.Join(p[4:], "/"), n, err)
	case n > limit:
		return fmt.Errorf("node %s: /logs/%s is over %s", m.Node, strings.Join(p[4:], "/"), hostrun.FormatSize(limit))
	}
	return nil
}

// fetchError explains a failed GET of /logs/rel on m's node: a 405 is the
// kubelet's log handler switched off; a 404 is the report missing, or,
// when the kubelet does not list /logs/ either, its debugging handlers
// switched off.
func fetchError(ctx context.Context, cs kubernetes.Interface, m Member, rel string, err error) error {
	const fix = "set enableDebuggingHandlers: true and enableSystemLogHandler: true (the defaults) in its KubeletConfiguration, or collect the report from " + NodeRunsDir + " on the node yourself"
	switch {
	case apierrors.IsMethodNotSupported(err):
		return fmt.Errorf("node %s: %w (enableSystemLogHandler: false): %s: %v", m.Node, errLogHandlerOff, fix, err)
	case apierrors.IsForbidden(err):
		return fmt.Errorf("node %s: GET /logs/%s: forbidden: the runner's credentials need get on nodes/proxy: %v", m.Node, rel, err)
	case apierrors.IsNotFound(err):
		// One segment: AbsPath keeps its trailing slash (the directory).
		probe := "/api/v1/nodes/" + m.Node + "/proxy/logs/"
		if _, perr := cs.CoreV1().RESTClient().Get().AbsPath(probe).DoRaw(ctx); apierrors.IsNotFound(perr) {
			return fmt.Errorf("node %s: %w (enableDebuggingHandlers: false?): %s", m.Node, errLogHandlerOff, fix)
		}
		return fmt.Errorf("node %s has no /var/log/%s (the pod never wrote it, or it was removed)", m.Node, rel)
	}
	return fmt.Errorf("node %s: GET /logs/%s: %w", m.Node, rel, err)
}
