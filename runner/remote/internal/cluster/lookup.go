package cluster

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// State is a run as the cluster holds it: the Run rebuilt from the run
// namespace's annotations and its suite workloads, and each member's
// status.
type State struct {
	// Run is the run, as submitted (its Objects render what was created,
	// but for the time annotations' rounding to seconds).
	Run Run
	// Released is when the barrier released the pods; zero before.
	Released time.Time
	// Phase is the namespace's AnnotationPhase.
	Phase Phase
	// Terminating is true once the run namespace is being deleted.
	Terminating bool
	// Members are the members' statuses, by node then replica.
	Members []MemberStatus
}

// MemberStatus is one suite pod's state.
type MemberStatus struct {
	Member
	// Pod is the suite pod's name; empty when none exists (yet or any
	// more).
	Pod string
	// Phase is the pod's phase; empty without a pod.
	Phase corev1.PodPhase
	// Reason says why it ended or waits: the pod's reason (Evicted,
	// DeadlineExceeded), the container's terminated or waiting reason
	// (Completed, Error, OOMKilled, ErrImagePull), the Job's failure
	// condition, "deleted" for a pod being deleted.
	Reason string
	// Message is the reason's message, if any.
	Message string
	// Started is when the suite container started; Ended when it (or the
	// pod, or its Job) ended. Zero when not (yet).
	Started, Ended time.Time
	// ExitCode is the suite container's exit code, once terminated.
	ExitCode *int32
	// Termination is the suite container's termination message (the
	// entrypoint's one-line JSON summary), once terminated.
	Termination string
	// Deleting is true when the pod is being deleted.
	Deleting bool
}

// Done reports whether the member can run no more: its pod reached
// Succeeded or Failed (a terminated container alone is not enough: the
// pod's phase follows a moment later), its pod is being deleted with the
// container ended, or it has no pod and its Job failed or its pod is gone
// after the release.
func (m MemberStatus) Done() bool {
	switch {
	case m.Phase == corev1.PodSucceeded || m.Phase == corev1.PodFailed:
		return true
	case m.Pod == "":
		return !m.Ended.IsZero()
	default:
		return m.Deleting && m.ExitCode != nil
	}
}

// UnknownRunError is Lookup's error for a run id no namespace carries.
type UnknownRunError struct {
	ID string
	// Known are the run ids the cluster holds, oldest first.
	Known []string
}

func (e *UnknownRunError) Error() string {
	known := "none"
	if len(e.Known) > 0 {
		known = strings.Join(e.Known, ", ")
	}
	return fmt.Sprintf("--run-id %s: no such run in the cluster (known runs: %s)", e.ID, known)
}

// Lookup rebuilds run id from the cluster: its namespace, then its Jobs
// and suite pods. An id without a namespace is an *UnknownRunError
// listing the runs the cluster holds.
func Lookup(ctx context.Context, cs kubernetes.Interface, id string) (*State, error) {
	l, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: RunSelector(id)})
	if err != nil {
		return nil, fmt.Errorf("cluster: look up run %s: %w", id, err)
	}
	for i := range l.Items {
		if l.Items[i].Name == NamespaceName(id) {
			return rebuild(ctx, cs, &l.Items[i])
		}
	}
	all, err := List(ctx, cs)
	if err != nil {
		return nil, err
	}
	e := &UnknownRunError{ID: id}
	for _, s := range all {
		e.Known = append(e.Known, s.Run.ID)
	}
	return nil, e
}

// List rebuilds every run the cluster holds (namespaces managed by the
// runner), oldest first.
func List(ctx context.Context, cs kubernetes.Interface) ([]State, error) {
	l, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: LabelManagedBy + "=" + ManagedBy + "," + LabelRunID})
	if err != nil {
		return nil, fmt.Errorf("cluster: list runs: %w", err)
	}
	var out []State
	for i := range l.Items {
		ns := &l.Items[i]
		if ns.Name != NamespaceName(ns.Labels[LabelRunID]) {
			continue // not a run namespace
		}
		s, err := rebuild(ctx, cs, ns)
		if err != nil {
			return nil, err
		}
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b State) int {
		if c := a.Run.Created.Compare(b.Run.Created); c != 0 {
			return c
		}
		return strings.Compare(a.Run.ID, b.Run.ID)
	})
	return out, nil
}

// rebuild reads ns's annotations and its workloads into a State.
func rebuild(ctx context.Context, cs kubernetes.Interface, ns *corev1.Namespace) (*State, error) {
	a := ns.Annotations
	r := Run{
		ID:         ns.Labels[LabelRunID],
		Namespace:  ns.Name,
		SuiteImage: a[AnnotationSuiteImage],
		Workload:   Workload(a[AnnotationWorkload]),
		Selection:  a[AnnotationSelection],
	}
	if a[AnnotationNodes] != "" {
		r.Nodes = strings.Split(a[AnnotationNodes], ",")
	}
	r.Replicas, _ = strconv.Atoi(a[AnnotationReplicas])
	r.Created, _ = time.Parse(time.RFC3339, a[AnnotationCreated])
	s := &State{Phase: Phase(a[AnnotationPhase]), Terminating: ns.DeletionTimestamp != nil}
	s.Released, _ = time.Parse(time.RFC3339Nano, a[AnnotationReleased])

	pods, err := cs.CoreV1().Pods(ns.Name).List(ctx, metav1.ListOptions{LabelSelector: SyncSelector(r.ID)})
	if err != nil {
		return nil, fmt.Errorf("cluster: run %s: list its pods: %w", r.ID, err)
	}
	var jobs []batchv1.Job
	if r.Workload != WorkloadPod {
		jl, err := cs.BatchV1().Jobs(ns.Name).List(ctx, metav1.ListOptions{LabelSelector: RunSelector(r.ID)})
		if err != nil {
			return nil, fmt.Errorf("cluster: run %s: list its Jobs: %w", r.ID, err)
		}
		jobs = jl.Items
	}
	// The rest of the Run comes from one member's pod spec.
	var spec *corev1.PodSpec
	if len(jobs) > 0 {
		spec = &jobs[0].Spec.Template.Spec
		if d := jobs[0].Spec.ActiveDeadlineSeconds; d != nil {
			r.Timeout = time.Duration(*d) * time.Second
		}
	} else if len(pods.Items) > 0 {
		spec = &pods.Items[0].Spec
		if d := spec.ActiveDeadlineSeconds; d != nil {
			r.Timeout = time.Duration(*d) * time.Second
		}
	}
	if spec != nil && len(spec.Containers) > 0 {
		r.fromArgs(spec.Containers[0].Args)
		if q, ok := spec.Containers[0].Resources.Requests[corev1.ResourceCPU]; ok {
			r.SuiteCPU = q.String()
		}
		for _, e := range spec.Containers[0].Env {
			if e.Name == apiServerEnv {
				r.APIServer = e.Value
			}
		}
	}
	if exp, err := time.Parse(time.RFC3339, a[AnnotationExpires]); err == nil && !r.Created.IsZero() && r.Timeout > 0 {
		r.TTL = exp.Sub(r.Created) - r.Timeout
	}
	s.Run = r

	for _, m := range r.Members() {
		st := memberStatus(m, pods.Items, jobs)
		if st.Pod == "" && st.Ended.IsZero() && !s.Released.IsZero() {
			// Released, so its pod existed: it was deleted.
			st.Reason, st.Ended = "pod deleted", time.Now()
		}
		s.Members = append(s.Members, st)
	}
	return s, nil
}

// fromArgs reads GinkgoArgs, ImageRegistry, RuntimeEndpoint and TestArgs
// back from a suite container's arguments (suiteArgs).
func (r *Run) fromArgs(args []string) {
	i := slices.Index(args, suiteBinary)
	if i < 0 || i+1 >= len(args) || args[i+1] != "--" {
		return
	}
	if i > 0 {
		r.GinkgoArgs = slices.Clone(args[:i])
	}
	rest := args[i+2:]
	for len(rest) > 0 {
		a := rest[0]
		if v, ok := strings.CutPrefix(a, "--image-registry="); ok {
			r.ImageRegistry = v
		} else if v, ok := strings.CutPrefix(a, "--container-runtime-endpoint="); ok {
			r.RuntimeEndpoint = v
		} else if !harnessArg(a) {
			break
		}
		rest = rest[1:]
	}
	if len(rest) > 0 {
		r.TestArgs = slices.Clone(rest)
	}
}

// harnessArg reports whether a is one of the flags suiteArgs sets before
// the user's TestArgs.
func harnessArg(a string) bool {
	for _, p := range []string{"--start-services=", "--node-name=", "--host-ca-file=", "--bearer-token-file=", "--report-dir=", "--spec-namespace-labels=", "--image-registry-credentials-file="} {
		if strings.HasPrefix(a, p) {
			return true
		}
	}
	return false
}

// memberStatus finds m's pod (the newest carrying its labels) and Job.
func memberStatus(m Member, pods []corev1.Pod, jobs []batchv1.Job) MemberStatus {
	st := MemberStatus{Member: m}
	var pod *corev1.Pod
	for i := range pods {
		p := &pods[i]
		if p.Labels[LabelNode] != m.Node || p.Labels[LabelReplica] != strconv.Itoa(m.Replica) {
			continue
		}
		if pod == nil || p.CreationTimestamp.After(pod.CreationTimestamp.Time) {
			pod = p
		}
	}
	if pod != nil {
		podStatus(&st, pod)
	}
	for i := range jobs {
		j := &jobs[i]
		if j.Name != workloadName(m) {
			continue
		}
		for _, c := range j.Status.Conditions {
			if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue {
				if st.Reason == "" || st.Phase == "" || st.Phase == corev1.PodRunning || st.Phase == corev1.PodPending {
					st.Reason, st.Message = "Job "+c.Reason, c.Message
				}
				if st.Ended.IsZero() {
					st.Ended = c.LastTransitionTime.Time
				}
			}
		}
	}
	return st
}

// podStatus fills st from the suite pod p.
func podStatus(st *MemberStatus, p *corev1.Pod) {
	st.Pod, st.Phase = p.Name, p.Status.Phase
	st.Reason, st.Message = p.Status.Reason, p.Status.Message
	for _, c := range p.Status.ContainerStatuses {
		if c.Name != "suite" {
			continue
		}
		switch s := c.State; {
		case s.Terminated != nil:
			t := s.Terminated
			st.Started, st.Ended = t.StartedAt.Time, t.FinishedAt.Time
			code := t.ExitCode
			st.ExitCode = &code
			st.Termination = strings.TrimSpace(t.Message)
			if st.Reason == "" {
				st.Reason = t.Reason
			}
		case s.Running != nil:
			st.Started = s.Running.StartedAt.Time
		case s.Waiting != nil && st.Reason == "":
			st.Reason, st.Message = s.Waiting.Reason, s.Waiting.Message
		}
	}
	if st.Ended.IsZero() && (p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded) {
		st.Ended = conditionTime(p, corev1.PodReady)
	}
	if p.DeletionTimestamp != nil {
		st.Deleting = true
		if st.Reason == "" {
			st.Reason = "deleted"
		}
	}
}

// conditionTime is the last transition of p's condition t, or now.
func conditionTime(p *corev1.Pod, t corev1.PodConditionType) time.Time {
	for _, c := range p.Status.Conditions {
		if c.Type == t && !c.LastTransitionTime.IsZero() {
			return c.LastTransitionTime.Time
		}
	}
	return time.Now()
}
