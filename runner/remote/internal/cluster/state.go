package cluster

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// The run namespace's annotations: what the run is and where it stands,
// read back by Lookup and List (no local state: any machine finds a run
// again from the cluster alone).
const (
	// AnnotationCreated is when the run was submitted (RFC 3339).
	AnnotationCreated = "node-e2e.io/created"
	// AnnotationExpires is Created + Timeout + TTL (RFC 3339): after it,
	// reap --expired and the janitor delete the run.
	AnnotationExpires = "node-e2e.io/expires"
	// AnnotationNodes lists the nodes, comma-separated.
	AnnotationNodes = "node-e2e.io/nodes"
	// AnnotationReplicas is the number of suite pods per node.
	AnnotationReplicas = "node-e2e.io/replicas"
	// AnnotationWorkload is job or pod.
	AnnotationWorkload = "node-e2e.io/workload"
	// AnnotationSuiteImage is the suite image by digest.
	AnnotationSuiteImage = "node-e2e.io/suite-image"
	// AnnotationSelection is JSON of the focus, skip and label filter, for
	// display.
	AnnotationSelection = "node-e2e.io/selection"
	// AnnotationReleased is when the barrier released the pods
	// (RFC 3339, nanoseconds), set after the release.
	AnnotationReleased = "node-e2e.io/released"
	// AnnotationPhase is one of the Phase values.
	AnnotationPhase = "node-e2e.io/phase"
)

// Phase is where a run stands (AnnotationPhase).
type Phase string

const (
	// PhaseStarting: objects created, the barrier not yet passed.
	PhaseStarting Phase = "starting"
	// PhaseRunning: released; the specs run.
	PhaseRunning Phase = "running"
	// PhaseCollected: results fetched; the run is being deleted.
	PhaseCollected Phase = "collected"
	// PhaseCancelled: cancel was asked; the run is being deleted.
	PhaseCancelled Phase = "cancelled"
	// PhaseFailed: the barrier or the runner failed; the run is being
	// deleted.
	PhaseFailed Phase = "failed"
)

// NewRunID returns a fresh run id, <yyyymmdd-hhmmss>-<4 hex> (UTC).
func NewRunID(now time.Time) string {
	b := make([]byte, 2)
	_, _ = rand.Read(b)
	return now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b)
}

// NamespaceName is the run namespace of run id.
func NamespaceName(id string) string { return "node-e2e-" + id }

// Expires is when r expires: Created + Timeout + TTL (defaulted).
func (r Run) Expires() time.Time {
	r = r.Defaulted()
	return r.Created.Add(r.Timeout + r.TTL)
}

// annotations are the run namespace's annotations at submission (phase
// starting). Without a Created time the time annotations are left off.
func (r Run) annotations() map[string]string {
	r = r.Defaulted()
	a := map[string]string{
		AnnotationNodes:      strings.Join(r.Nodes, ","),
		AnnotationReplicas:   strconv.Itoa(r.Replicas),
		AnnotationWorkload:   string(r.Workload),
		AnnotationSuiteImage: r.SuiteImage,
		AnnotationPhase:      string(PhaseStarting),
	}
	if r.Selection != "" {
		a[AnnotationSelection] = r.Selection
	}
	if !r.Created.IsZero() {
		a[AnnotationCreated] = r.Created.UTC().Format(time.RFC3339)
		a[AnnotationExpires] = r.Expires().UTC().Format(time.RFC3339)
	}
	return a
}
