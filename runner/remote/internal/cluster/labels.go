package cluster

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/node-e2e/harness/e2e_node/startgate"
)

// Labels and annotations on every object of a run. The run can be found
// again from the cluster alone by LabelRunID.
const (
	// LabelRunID is the run id.
	LabelRunID = "node-e2e.io/run-id"
	// LabelManagedBy is app.kubernetes.io/managed-by, ManagedBy.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// ManagedBy is LabelManagedBy's value.
	ManagedBy = "node-e2e-runner"
	// LabelNode is the node a Job or pod tests.
	LabelNode = "node-e2e.io/node"
	// LabelReplica is the replica index on that node ("0", "1", ...).
	LabelReplica = "node-e2e.io/replica"
	// LabelSync is the barrier's key: every suite pod of a run carries it,
	// with the run id as value.
	LabelSync = "node-e2e.io/sync"
	// AnnotationWaiting is set by the suite pod itself (e2e_node.test
	// --await-start) once its watch for the start signal is open: the
	// barrier counts a pod as arrived only when it runs and carries it.
	AnnotationWaiting = startgate.AnnotationWaiting
	// AnnotationStart is the start signal: the barrier sets it on each suite
	// pod when all of them wait, and the pod's e2e_node.test --await-start
	// sees it through its watch. Its value is the release time (RFC 3339,
	// nanoseconds), or AbortValue.
	AnnotationStart = startgate.AnnotationStart
	// AbortValue in AnnotationStart makes the entrypoint exit 3 without
	// running a spec.
	AbortValue = startgate.AbortValue
	// LabelRole tells the run's helper pods (the janitor, the node
	// cleaners) from its suite pods, which carry LabelSync instead.
	LabelRole = "node-e2e.io/role"
)

// Member is one suite pod of a run: a node and a replica index.
type Member struct {
	Node    string
	Replica int
}

// String is node[-i] as in the artifacts layout, node for replica 0.
func (m Member) String() string {
	if m.Replica == 0 {
		return m.Node
	}
	return m.Node + "-" + strconv.Itoa(m.Replica)
}

// memberLabels are a member's labels: the run's plus node and replica.
func memberLabels(runID string, m Member) map[string]string {
	l := runLabels(runID)
	l[LabelNode] = m.Node
	l[LabelReplica] = strconv.Itoa(m.Replica)
	l[LabelSync] = runID
	return l
}

func runLabels(runID string) map[string]string {
	return map[string]string{LabelRunID: runID, LabelManagedBy: ManagedBy}
}

// SyncSelector is the label selector of a run's suite pods.
func SyncSelector(runID string) string {
	return LabelSync + "=" + runID
}

// RunSelector is the label selector of every object of a run.
func RunSelector(runID string) string {
	return LabelRunID + "=" + runID + "," + LabelManagedBy + "=" + ManagedBy
}

// maxNameLen is the longest object name that is also a valid pod name
// prefix for a Job's pods (the Job controller appends "-xxxxx").
const maxNameLen = 52

// workloadName is the Job's (or bare pod's) name for m:
// suite-<node>-<replica>, the node's dots replaced by dashes, and cut with
// a hash of the node name when too long.
func workloadName(m Member) string {
	node := strings.ReplaceAll(m.Node, ".", "-")
	suffix := "-" + strconv.Itoa(m.Replica)
	name := "suite-" + node + suffix
	if len(name) <= maxNameLen {
		return name
	}
	sum := sha256.Sum256([]byte(m.Node))
	h := "-" + hex.EncodeToString(sum[:])[:8]
	keep := maxNameLen - len("suite-") - len(h) - len(suffix)
	return "suite-" + strings.TrimRight(node[:keep], "-") + h + suffix
}

// checkLabelValue says which field holds a value that cannot be a label.
func checkLabelValue(field, v string) error {
	if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
		return fmt.Errorf("%s %q cannot be a label value: %s", field, v, strings.Join(errs, "; "))
	}
	return nil
}
