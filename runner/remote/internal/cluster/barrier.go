package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
)

// Barrier holds a run's suite pods until every one of them waits, then
// releases them together. Each pod's entrypoint waits for AnnotationStart
// through the API server (e2e_node.test --await-start, which marks the pod
// AnnotationWaiting once its watch is open); a member has arrived when its
// pod runs and carries AnnotationWaiting, so that no release can be
// missed. The release sets AnnotationStart on every pod at once. The pods are found by the run's sync label (SyncSelector), each
// member by its node and replica labels.
type Barrier struct {
	// Client reaches the cluster.
	Client kubernetes.Interface
	// Namespace is the run's namespace.
	Namespace string
	// RunID is the run whose pods wait (LabelSync).
	RunID string
	// Members are the pods expected: len(Members) is N.
	Members []Member
	// Timeout bounds the wait for all N (--sync-timeout). Default 5m.
	Timeout time.Duration
	// Now is the clock; time.Now when nil (tests).
	Now func() time.Time
}

// Released says when each member was released.
type Released struct {
	// At is when the release began.
	At time.Time
	// Arrived is when each member's pod was first seen running and waiting
	// (AnnotationWaiting).
	Arrived map[Member]time.Time
	// Acked is, per member, how long after At the API server accepted its
	// start annotation: the runner's side of the start skew (the pods log
	// when they saw the signal).
	Acked map[Member]time.Duration
}

// Skew is the spread of the release acknowledgements: the last minus the
// first.
func (r Released) Skew() time.Duration {
	if len(r.Acked) == 0 {
		return 0
	}
	lo, hi := time.Duration(1<<62), time.Duration(0)
	for _, d := range r.Acked {
		lo, hi = min(lo, d), max(hi, d)
	}
	return hi - lo
}

// NotStartedError is the barrier's failure: a member that did not start
// (or failed) before the timeout, and why.
type NotStartedError struct {
	// Members that did not run, each with the reason read from its pod's
	// status and events ("no pod" when none exists).
	Reasons map[Member]string
	// Failed is true when a pod ended (failed, was deleted, or cannot pull
	// its image: cannotPull) rather than the timeout passing.
	Failed bool
	// Timeout is the barrier's timeout.
	Timeout time.Duration
}

func (e *NotStartedError) Error() string {
	var ms []Member
	for m := range e.Reasons {
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(a, b Member) int { return strings.Compare(a.String(), b.String()) })
	var parts []string
	for _, m := range ms {
		parts = append(parts, fmt.Sprintf("node %s (replica %d): %s", m.Node, m.Replica, e.Reasons[m]))
	}
	what := fmt.Sprintf("did not start within --sync-timeout=%v", e.Timeout)
	if e.Failed {
		what = "failed before the start"
	}
	return fmt.Sprintf("cluster: %d of the run's suite pods %s: %s", len(ms), what, strings.Join(parts, "; "))
}

func (b *Barrier) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

// memberOf is the member a pod stands for, if it is one of b.Members.
func (b *Barrier) memberOf(p *corev1.Pod) (Member, bool) {
	i, err := strconv.Atoi(p.Labels[LabelReplica])
	if err != nil {
		return Member{}, false
	}
	m := Member{Node: p.Labels[LabelNode], Replica: i}
	return m, slices.Contains(b.Members, m)
}

// waiting reports whether p runs with every container started and marks
// itself AnnotationWaiting: its watch for the signal is open.
func waiting(p *corev1.Pod) bool {
	return running(p) && p.Annotations[AnnotationWaiting] != ""
}

// running reports whether p runs with every container started.
func running(p *corev1.Pod) bool {
	if p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning || len(p.Status.ContainerStatuses) < len(p.Spec.Containers) {
		return false
	}
	for _, cs := range p.Status.ContainerStatuses {
		if cs.State.Running == nil || (cs.Started != nil && !*cs.Started) {
			return false
		}
	}
	return true
}

// ended reports whether p can no longer start: failed, succeeded before
// the signal, being deleted, or waiting for an image it can never get
// (cannotPull).
func ended(p *corev1.Pod) bool {
	return p.DeletionTimestamp != nil || p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded || cannotPull(p)
}

// cannotPull reports whether a container of p waits for an image that no
// retry will bring: an invalid name, a pull the policy forbids, or a
// reference the registry says is not found (the suite image is referenced
// by a digest pushed before the run: it does not appear later). Other
// pull errors (a registry hiccup) are retried by the kubelet and left to
// the barrier's timeout.
func cannotPull(p *corev1.Pod) bool {
	for _, cs := range p.Status.ContainerStatuses {
		w := cs.State.Waiting
		if w == nil {
			continue
		}
		switch w.Reason {
		case "InvalidImageName", "ErrImageNeverPull":
			return true
		case "ErrImagePull", "ImagePullBackOff":
			if strings.Contains(strings.ToLower(w.Message), "not found") {
				return true
			}
		}
	}
	return false
}

// Wait waits until every member's pod runs and waits, then releases them
// all. When
// one ends first, or the timeout passes, it returns a *NotStartedError
// naming each member that did not start and why, and releases none (the
// caller deletes the run). A closed watch is reopened from a fresh list.
func (b *Barrier) Wait(ctx context.Context) (Released, error) {
	timeout := b.Timeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	pods := b.Client.CoreV1().Pods(b.Namespace)
	sel := metav1.ListOptions{LabelSelector: SyncSelector(b.RunID)}
	arrived := map[Member]time.Time{}
	names := map[Member]string{}
	// see records p; it returns the member that ended, if p did.
	see := func(p *corev1.Pod) (Member, bool) {
		m, ok := b.memberOf(p)
		if !ok {
			return m, false
		}
		names[m] = p.Name
		if ended(p) {
			return m, true
		}
		if _, seen := arrived[m]; !seen && waiting(p) {
			arrived[m] = b.now()
		}
		return m, false
	}
	for len(arrived) < len(b.Members) {
		list, err := pods.List(wctx, sel)
		if err != nil {
			return Released{}, b.fail(ctx, wctx, timeout, names, arrived, err)
		}
		for i := range list.Items {
			if m, bad := see(&list.Items[i]); bad {
				return Released{}, b.failed(ctx, timeout, names, m)
			}
		}
		if len(arrived) == len(b.Members) {
			break
		}
		opts := sel
		opts.ResourceVersion = list.ResourceVersion
		w, err := pods.Watch(wctx, opts)
		if err != nil {
			return Released{}, b.fail(ctx, wctx, timeout, names, arrived, err)
		}
		m, bad, err := b.watch(wctx, w, see, arrived)
		w.Stop()
		if bad {
			return Released{}, b.failed(ctx, timeout, names, m)
		}
		if err != nil {
			return Released{}, b.fail(ctx, wctx, timeout, names, arrived, err)
		}
	}
	return b.release(ctx, names, arrived)
}

// watch consumes w until every member arrived (nil), a member ended
// (bad), the watch closed (nil: the caller lists again) or wctx ended.
func (b *Barrier) watch(wctx context.Context, w watch.Interface, see func(*corev1.Pod) (Member, bool), arrived map[Member]time.Time) (Member, bool, error) {
	for len(arrived) < len(b.Members) {
		select {
		case <-wctx.Done():
			return Member{}, false, wctx.Err()
		case ev, ok := <-w.ResultChan():
			if !ok {
				return Member{}, false, nil
			}
			p, isPod := ev.Object.(*corev1.Pod)
			if !isPod {
				continue // a watch error: the caller lists again
			}
			if ev.Type == watch.Deleted {
				if m, ok := b.memberOf(p); ok {
					return m, true, nil
				}
				continue
			}
			if m, bad := see(p); bad {
				return m, true, nil
			}
		}
	}
	return Member{}, false, nil
}

// release sets the start annotation on every pod concurrently.
func (b *Barrier) release(ctx context.Context, names map[Member]string, arrived map[Member]time.Time) (Released, error) {
	at := b.now()
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{AnnotationStart: at.UTC().Format(time.RFC3339Nano)}}})
	if err != nil {
		return Released{}, err
	}
	out := Released{At: at, Arrived: arrived, Acked: map[Member]time.Duration{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var errs []error
	for _, m := range b.Members {
		wg.Go(func() {
			_, err := b.Client.CoreV1().Pods(b.Namespace).Patch(ctx, names[m], types.MergePatchType, patch, metav1.PatchOptions{})
			d := b.now().Sub(at)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("cluster: release %s (pod %s): %w", m, names[m], err))
				return
			}
			out.Acked[m] = d
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// failed reports a member whose pod ended before the start.
func (b *Barrier) failed(ctx context.Context, timeout time.Duration, names map[Member]string, m Member) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return &NotStartedError{Reasons: map[Member]string{m: b.why(rctx, names[m])}, Failed: true, Timeout: timeout}
}

// fail reports every member that has not arrived when the wait ends (the
// timeout, or an API error, joined).
func (b *Barrier) fail(ctx, wctx context.Context, timeout time.Duration, names map[Member]string, arrived map[Member]time.Time, cause error) error {
	if !errors.Is(cause, context.DeadlineExceeded) || ctx.Err() != nil || wctx.Err() == nil {
		return fmt.Errorf("cluster: waiting for the run's suite pods: %w", cause)
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	e := &NotStartedError{Reasons: map[Member]string{}, Timeout: timeout}
	for _, m := range b.Members {
		if _, ok := arrived[m]; ok {
			continue
		}
		if names[m] == "" {
			e.Reasons[m] = "no pod was created for it" + b.jobEvents(rctx, m)
			continue
		}
		e.Reasons[m] = b.why(rctx, names[m])
	}
	return e
}
