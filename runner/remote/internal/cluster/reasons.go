package cluster

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// why says, from the pod's status and its events, why pod name is not
// running: a container's waiting or terminated reason (ErrImagePull,
// ImagePullBackOff, CreateContainerError ...), the kubelet's admission
// failure (OutOfcpu ...), an unschedulable condition, or the pod's latest
// warning events.
func (b *Barrier) why(ctx context.Context, name string) string {
	p, err := b.Client.CoreV1().Pods(b.Namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return fmt.Sprintf("pod %s: %v", name, err)
	}
	var parts []string
	if p.DeletionTimestamp != nil {
		parts = append(parts, "pod "+name+" is being deleted")
	}
	if p.Status.Reason != "" || p.Status.Message != "" {
		parts = append(parts, fmt.Sprintf("pod %s %s: %s %s", name, p.Status.Phase, p.Status.Reason, p.Status.Message))
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			parts = append(parts, fmt.Sprintf("not scheduled: %s %s", c.Reason, c.Message))
		}
	}
	for _, cs := range append(slices.Clone(p.Status.InitContainerStatuses), p.Status.ContainerStatuses...) {
		switch {
		case cs.State.Waiting != nil && cs.State.Waiting.Reason != "":
			parts = append(parts, fmt.Sprintf("container %s waiting: %s %s", cs.Name, cs.State.Waiting.Reason, cs.State.Waiting.Message))
		case cs.State.Terminated != nil:
			t := cs.State.Terminated
			parts = append(parts, fmt.Sprintf("container %s terminated: exit %d %s %s", cs.Name, t.ExitCode, t.Reason, t.Message))
		}
	}
	if running(p) && p.Annotations[AnnotationWaiting] == "" {
		parts = append(parts, fmt.Sprintf("pod %s runs but never marked itself %s (its e2e_node.test --await-start did not open its watch: see the pod's log)", name, AnnotationWaiting))
	}
	parts = append(parts, b.warnings(ctx, "Pod", name)...)
	if len(parts) == 0 {
		return fmt.Sprintf("pod %s is %s with no reason given", name, p.Status.Phase)
	}
	return strings.Join(parts, "; ")
}

// jobEvents is ": " and the warning events of m's Job, if any.
func (b *Barrier) jobEvents(ctx context.Context, m Member) string {
	w := b.warnings(ctx, "Job", workloadName(m))
	if len(w) == 0 {
		return ""
	}
	return ": " + strings.Join(w, "; ")
}

// warnings are the latest three Warning events about kind/name in the run
// namespace, oldest first. (Filtered here: not every client honours field
// selectors.)
func (b *Barrier) warnings(ctx context.Context, kind, name string) []string {
	evs, err := b.Client.CoreV1().Events(b.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return []string{fmt.Sprintf("events: %v", err)}
	}
	var mine []corev1.Event
	for _, e := range evs.Items {
		if e.InvolvedObject.Kind == kind && e.InvolvedObject.Name == name && e.Type == corev1.EventTypeWarning {
			mine = append(mine, e)
		}
	}
	slices.SortStableFunc(mine, func(a, b corev1.Event) int { return a.LastTimestamp.Compare(b.LastTimestamp.Time) })
	if len(mine) > 3 {
		mine = mine[len(mine)-3:]
	}
	var out []string
	for _, e := range mine {
		out = append(out, fmt.Sprintf("event %s: %s", e.Reason, e.Message))
	}
	return out
}
