package cluster

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// ReapSelector says which runs Reap deletes: exactly one of RunID,
// OlderThan and Expired.
type ReapSelector struct {
	// RunID is one run (reap --run-id).
	RunID string
	// OlderThan selects runs created longer ago than it (reap
	// --older-than): AnnotationCreated, else the namespace's or the
	// leftover object's creation time.
	OlderThan time.Duration
	// Expired selects runs whose AnnotationExpires is past (reap
	// --expired).
	Expired bool
	// Now is the clock; time.Now when zero.
	Now time.Time
	// Wait bounds the deletion of each run, the wait until its
	// namespaces are gone included. Default 3m.
	Wait time.Duration
	// CleanNodes removes the run's report directories on its nodes
	// (/var/log/node-e2e/<run id>) while the run namespace still exists.
	// Nil: DefaultCleanNodes (tests swap it).
	CleanNodes func(ctx context.Context, cs kubernetes.Interface, r Run) error
}

// DefaultCleanNodes is ReapSelector.CleanNodes's default: CleanNodes.
var DefaultCleanNodes = CleanNodes

// Reaped is one run Reap deleted (or tried to).
type Reaped struct {
	// RunID is the run; Namespace its run namespace, "" when only
	// leftovers of it were found (cluster objects, spec namespaces).
	RunID, Namespace string
	// Created and Expires are from the namespace's annotations (zero when
	// unknown).
	Created, Expires time.Time
	// Why says why it was selected.
	Why string
	// NodesCleaned is true when CleanNodes removed its node directories;
	// Note says why not otherwise.
	NodesCleaned bool
	Note         string
	// Err is the deletion's error, nil when everything went.
	Err error
}

// runFound is what the cluster holds of one run id.
type runFound struct {
	id         string
	namespace  string // the run namespace, "" if gone
	state      *Run   // from its annotations, nil without the namespace
	terminated bool   // the run namespace is being deleted
	created    time.Time
	expires    time.Time
}

// Reap deletes the runs sel selects as cancel does: StopSuites, then
// CleanNodes, then Delete (workloads, cluster objects, the run namespace
// and the suite's spec namespaces, waiting until they are gone). It also finds a run's leftovers
// when its run namespace is gone: ClusterRoles and bindings labelled with
// its id, and spec namespaces the suite labelled with it
// (--spec-namespace-labels); --older-than and --expired reap those always,
// as nothing else would. An unknown --run-id is an *UnknownRunError
// listing the known runs. The error is for the listing; each run's own
// failure is in its Reaped.Err.
func Reap(ctx context.Context, cs kubernetes.Interface, sel ReapSelector) ([]Reaped, error) {
	n := 0
	for _, set := range []bool{sel.RunID != "", sel.OlderThan != 0, sel.Expired} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, usage("reap", "give exactly one of --run-id ID, --older-than DURATION, --expired", "selects runs by one criterion")
	}
	if sel.OlderThan < 0 {
		return nil, usage("--older-than", "give a positive duration such as 2h", "%v is negative", sel.OlderThan)
	}
	if sel.Now.IsZero() {
		sel.Now = time.Now()
	}
	if sel.Wait == 0 {
		sel.Wait = 3 * time.Minute
	}
	if sel.CleanNodes == nil {
		sel.CleanNodes = DefaultCleanNodes
	}
	found, err := findRuns(ctx, cs)
	if err != nil {
		return nil, err
	}
	var chosen []Reaped
	for _, id := range slices.Sorted(maps.Keys(found)) {
		f := found[id]
		why := ""
		switch {
		case sel.RunID != "":
			if id == sel.RunID {
				why = "--run-id"
			}
		case f.namespace == "":
			why = "leftovers of a deleted run"
		case sel.Expired && !f.expires.IsZero() && sel.Now.After(f.expires):
			why = "expired at " + f.expires.UTC().Format(time.RFC3339)
		case sel.OlderThan > 0 && !f.created.IsZero() && sel.Now.Sub(f.created) > sel.OlderThan:
			why = fmt.Sprintf("created %v ago", sel.Now.Sub(f.created).Round(time.Second))
		}
		if why != "" {
			chosen = append(chosen, Reaped{RunID: id, Namespace: f.namespace, Created: f.created, Expires: f.expires, Why: why})
		}
	}
	if sel.RunID != "" && len(chosen) == 0 {
		e := &UnknownRunError{ID: sel.RunID}
		for _, id := range slices.Sorted(maps.Keys(found)) {
			if found[id].namespace != "" {
				e.Known = append(e.Known, id)
			}
		}
		return nil, e
	}
	for i := range chosen {
		reapOne(ctx, cs, sel, found[chosen[i].RunID], &chosen[i])
	}
	return chosen, nil
}

// reapOne stops the run's suites and cleans its nodes, then deletes it,
// within sel.Wait.
func reapOne(ctx context.Context, cs kubernetes.Interface, sel ReapSelector, f *runFound, out *Reaped) {
	ctx, cancel := context.WithTimeout(ctx, sel.Wait)
	defer cancel()
	switch {
	case f.state == nil:
		out.Note = "run namespace gone: node directories left to the next run's entrypoint"
	case f.terminated:
		out.Note = "run namespace already terminating: node directories left to the next run's entrypoint"
	case sel.CleanNodes == nil:
		out.Note = "node directories left to the next run's entrypoint (no node cleaner)"
	default:
		// The suites stop first: a live run's entrypoint would write its
		// report after the directories went.
		if err := StopSuites(ctx, cs, f.id); err != nil {
			out.Note = fmt.Sprintf("suites not stopped: %v; ", err)
		}
		if err := sel.CleanNodes(ctx, cs, *f.state); err != nil {
			out.Note += fmt.Sprintf("node directories not cleaned: %v", err)
		} else {
			out.NodesCleaned = true
		}
	}
	out.Err = Delete(ctx, cs, f.id)
}

// findRuns lists what the cluster holds of every run: namespaces labelled
// with a run id (run namespaces and spec namespaces), and the runner's
// ClusterRoles and bindings.
func findRuns(ctx context.Context, cs kubernetes.Interface) (map[string]*runFound, error) {
	found := map[string]*runFound{}
	get := func(id string, t time.Time) *runFound {
		f := found[id]
		if f == nil {
			f = &runFound{id: id, created: t}
			found[id] = f
		}
		if f.namespace == "" && t.Before(f.created) {
			f.created = t
		}
		return f
	}
	nss, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: LabelRunID})
	if err != nil {
		return nil, fmt.Errorf("cluster: list the runs' namespaces: %w", err)
	}
	for i := range nss.Items {
		ns := &nss.Items[i]
		id := ns.Labels[LabelRunID]
		f := get(id, ns.CreationTimestamp.Time)
		if ns.Name != NamespaceName(id) || ns.Labels[LabelManagedBy] != ManagedBy {
			continue // a spec namespace of the run
		}
		f.namespace, f.terminated = ns.Name, ns.DeletionTimestamp != nil
		f.created = ns.CreationTimestamp.Time
		a := ns.Annotations
		if t, err := time.Parse(time.RFC3339, a[AnnotationCreated]); err == nil {
			f.created = t
		}
		if t, err := time.Parse(time.RFC3339, a[AnnotationExpires]); err == nil {
			f.expires = t
		}
		r := Run{ID: id, Namespace: ns.Name, SuiteImage: a[AnnotationSuiteImage], Nodes: splitList(a[AnnotationNodes]), Created: f.created}
		f.state = &r
	}
	managed := metav1.ListOptions{LabelSelector: LabelManagedBy + "=" + ManagedBy + "," + LabelRunID}
	crs, err := cs.RbacV1().ClusterRoles().List(ctx, managed)
	if err != nil {
		return nil, fmt.Errorf("cluster: list the runs' ClusterRoles: %w", err)
	}
	for _, o := range crs.Items {
		get(o.Labels[LabelRunID], o.CreationTimestamp.Time)
	}
	crbs, err := cs.RbacV1().ClusterRoleBindings().List(ctx, managed)
	if err != nil {
		return nil, fmt.Errorf("cluster: list the runs' ClusterRoleBindings: %w", err)
	}
	for _, o := range crbs.Items {
		get(o.Labels[LabelRunID], o.CreationTimestamp.Time)
	}
	return found, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}
