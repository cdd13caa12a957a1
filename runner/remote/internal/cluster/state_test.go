package cluster

import (
	"context"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestNewRunID(t *testing.T) {
	now := time.Date(2026, 11, 30, 4, 5, 6, 0, time.FixedZone("x", 3600))
	id := NewRunID(now)
	if !regexp.MustCompile(`^20261130-030506-[0-9a-f]{4}$`).MatchString(id) {
		t.Errorf("NewRunID = %q, want 20261130-030506-<4 hex> (UTC)", id)
	}
	r := testRun()
	r.ID = id
	if err := r.Validate(); err != nil {
		t.Errorf("a new run id does not validate: %v", err)
	}
}

func TestNamespaceAnnotations(t *testing.T) {
	a := testRun().NamespaceObject().Annotations
	want := map[string]string{
		AnnotationCreated:    "2026-11-30T04:05:06Z",
		AnnotationExpires:    "2026-11-30T05:20:06Z", // + 45m timeout + 30m TTL
		AnnotationNodes:      "node-a,node-b.example.com",
		AnnotationReplicas:   "2",
		AnnotationWorkload:   "job",
		AnnotationSuiteImage: "registry.example:5000/node-e2e/suite@" + testDigest,
		AnnotationSelection:  `{"focus":"Pods"}`,
		AnnotationPhase:      "starting",
	}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("annotations\n got %v\nwant %v", a, want)
	}
}

// submitted is a fake cluster holding r's objects, created by Submit.
func submitted(t *testing.T, r Run) *fake.Clientset {
	t.Helper()
	rootCAWait = 0
	cs := fake.NewClientset()
	if err := Submit(context.Background(), cs, r, []byte("CA")); err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestSubmitCreatesTheRootCAWhenNothingPublishesIt(t *testing.T) {
	r := testRun().Defaulted()
	cs := submitted(t, r)
	cm, err := cs.CoreV1().ConfigMaps(r.Namespace).Get(context.Background(), rootCAConfigMap, metav1.GetOptions{})
	if err != nil || cm.Data["ca.crt"] != "CA" || cm.Labels[LabelRunID] != r.ID {
		t.Errorf("kube-root-ca.crt = %v, %v", cm, err)
	}
	if err := Submit(context.Background(), fake.NewClientset(), r, nil); err == nil || !strings.Contains(err.Error(), rootCAConfigMap) {
		t.Errorf("Submit without a CA nor a publisher = %v, want an error naming %s", err, rootCAConfigMap)
	}
}

// TestLookupRebuildsTheRun creates a run's objects and pods in several
// states, then rebuilds the Run and each member's status from the cluster.
func TestLookupRebuildsTheRun(t *testing.T) {
	ctx := context.Background()
	r := testRun()
	r.APIServer = "https://10.1.2.3:6443"
	r = r.Defaulted()
	cs := submitted(t, r)
	released := time.Date(2026, 11, 30, 4, 6, 0, 123456789, time.UTC)
	if err := MarkReleased(ctx, cs, r.ID, released); err != nil {
		t.Fatal(err)
	}
	ms := r.Members()
	t0 := metav1.NewTime(released.Add(time.Second))
	t1 := metav1.NewTime(released.Add(time.Minute))
	pods := []*corev1.Pod{
		podIn(r, ms[0], corev1.PodSucceeded, corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed", StartedAt: t0, FinishedAt: t1, Message: `{"exit":0}` + "\n"}}),
		podIn(r, ms[1], corev1.PodRunning, corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: t0}}),
		podIn(r, ms[2], corev1.PodFailed, corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "OOMKilled", StartedAt: t0, FinishedAt: t1}}),
	}
	pods[2].Status.Reason = "Evicted"
	for _, p := range pods {
		if _, err := cs.CoreV1().Pods(r.Namespace).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// The fourth member's Job failed at its deadline without a pod left.
	j, _ := cs.BatchV1().Jobs(r.Namespace).Get(ctx, workloadName(ms[3]), metav1.GetOptions{})
	j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "DeadlineExceeded", Message: "Job was active longer than specified deadline", LastTransitionTime: t1}}
	if _, err := cs.BatchV1().Jobs(r.Namespace).UpdateStatus(ctx, j, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	s, err := Lookup(ctx, cs, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.Run, r) {
		t.Errorf("rebuilt run\n got %+v\nwant %+v", s.Run, r)
	}
	if !s.Released.Equal(released) || s.Phase != PhaseRunning || s.Terminating {
		t.Errorf("released %v phase %q terminating %v", s.Released, s.Phase, s.Terminating)
	}
	code := func(c int32) *int32 { return &c }
	want := []MemberStatus{
		{Member: ms[0], Pod: pods[0].Name, Phase: corev1.PodSucceeded, Reason: "Completed", Started: t0.Time, Ended: t1.Time, ExitCode: code(0), Termination: `{"exit":0}`},
		{Member: ms[1], Pod: pods[1].Name, Phase: corev1.PodRunning, Started: t0.Time},
		{Member: ms[2], Pod: pods[2].Name, Phase: corev1.PodFailed, Reason: "Evicted", Started: t0.Time, Ended: t1.Time, ExitCode: code(137)},
		{Member: ms[3], Reason: "Job DeadlineExceeded", Message: "Job was active longer than specified deadline", Ended: t1.Time},
	}
	if !reflect.DeepEqual(s.Members, want) {
		t.Errorf("members\n got %+v\nwant %+v", s.Members, want)
	}
	// A terminated container in a pod still Running is not done yet.
	early := MemberStatus{Pod: "p", Phase: corev1.PodRunning, ExitCode: want[0].ExitCode, Ended: t1.Time}
	if early.Done() {
		t.Error("a pod still Running with its container terminated counts as done")
	}
	for i, done := range []bool{true, false, true, true} {
		if s.Members[i].Done() != done {
			t.Errorf("member %v: Done() = %v, want %v", s.Members[i].Member, !done, done)
		}
	}
	// Re-rendered, the rebuilt run's objects are what was created.
	objs, err := s.Run.Objects()
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := r.Objects()
	if !reflect.DeepEqual(objs, orig) {
		t.Error("the rebuilt run renders other objects than the submitted one")
	}
}

func podIn(r Run, m Member, phase corev1.PodPhase, st corev1.ContainerState) *corev1.Pod {
	p := r.Job(m).Spec.Template
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: workloadName(m) + "-abcde", Namespace: r.Namespace, Labels: p.Labels},
		Spec:       p.Spec,
		Status:     corev1.PodStatus{Phase: phase, ContainerStatuses: []corev1.ContainerStatus{{Name: "suite", State: st}}},
	}
}

func TestLookupBarePods(t *testing.T) {
	ctx := context.Background()
	r := testRun()
	r.Workload = WorkloadPod
	r = r.Defaulted()
	cs := submitted(t, r)
	s, err := Lookup(ctx, cs, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.Run, r) {
		t.Errorf("rebuilt run\n got %+v\nwant %+v", s.Run, r)
	}
	for _, m := range s.Members {
		if m.Pod != workloadName(m.Member) || m.Done() {
			t.Errorf("member %+v: want its pod, not done", m)
		}
	}
	// Released, a member whose pod was deleted is done, and says so.
	if err := MarkReleased(ctx, cs, r.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := cs.CoreV1().Pods(r.Namespace).Delete(ctx, workloadName(s.Members[0].Member), metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	s, _ = Lookup(ctx, cs, r.ID)
	if m := s.Members[0]; !m.Done() || m.Reason != "pod deleted" {
		t.Errorf("deleted member: %+v", m)
	}
}

func TestLookupUnknownListsKnown(t *testing.T) {
	ctx := context.Background()
	a, b := testRun(), testRun()
	a.ID, b.ID = "20261130-010000-aaaa", "20261130-020000-bbbb"
	b.Created = a.Created.Add(-time.Hour)
	cs := submitted(t, a)
	if err := Submit(ctx, cs, b, []byte("CA")); err != nil {
		t.Fatal(err)
	}
	// A spec namespace labelled with a run id is not a run.
	spec := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "spec-x", Labels: map[string]string{LabelRunID: a.ID, LabelManagedBy: ManagedBy}}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, spec, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := Lookup(ctx, cs, "nope")
	var unknown *UnknownRunError
	if !errors.As(err, &unknown) || !reflect.DeepEqual(unknown.Known, []string{b.ID, a.ID}) {
		t.Fatalf("Lookup(nope) = %v, want an UnknownRunError listing %s, %s", err, b.ID, a.ID)
	}
	if msg := err.Error(); !strings.Contains(msg, "--run-id nope") || !strings.Contains(msg, b.ID+", "+a.ID) {
		t.Errorf("error %q", msg)
	}
	_, err = Lookup(ctx, fake.NewClientset(), "nope")
	if err == nil || !strings.Contains(err.Error(), "known runs: none") {
		t.Errorf("Lookup on an empty cluster = %v", err)
	}
}

// TestDeleteRemovesTheRunOnly deletes one of two runs, with a spec
// namespace its suite left: nothing labelled with its id remains, and the
// other run is whole.
func TestDeleteRemovesTheRunOnly(t *testing.T) {
	ctx := context.Background()
	a, b := testRun(), testRun()
	a.ID, b.ID = "run-a", "run-b"
	cs := submitted(t, a)
	if err := Submit(ctx, cs, b, []byte("CA")); err != nil {
		t.Fatal(err)
	}
	for _, r := range []Run{a.Defaulted(), b.Defaulted()} {
		for _, m := range r.Members() {
			if _, err := cs.CoreV1().Pods(r.Namespace).Create(ctx, podIn(r, m, corev1.PodRunning, corev1.ContainerState{}), metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		spec := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-pods-" + r.ID, Labels: map[string]string{LabelRunID: r.ID, "node-e2e": "true"}}}
		if _, err := cs.CoreV1().Namespaces().Create(ctx, spec, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := Delete(dctx, cs, a.ID); err != nil {
		t.Fatal(err)
	}
	count := func(id string) int {
		n := 0
		sel := metav1.ListOptions{LabelSelector: LabelRunID + "=" + id}
		nss, _ := cs.CoreV1().Namespaces().List(ctx, sel)
		crs, _ := cs.RbacV1().ClusterRoles().List(ctx, sel)
		crbs, _ := cs.RbacV1().ClusterRoleBindings().List(ctx, sel)
		jobs, _ := cs.BatchV1().Jobs("").List(ctx, sel)
		pods, _ := cs.CoreV1().Pods("").List(ctx, sel)
		return n + len(nss.Items) + len(crs.Items) + len(crbs.Items) + len(jobs.Items) + len(pods.Items)
	}
	if n := count(a.ID); n != 0 {
		t.Errorf("%d objects of the deleted run left", n)
	}
	if n, want := count(b.ID), 2+2+len(b.Members())*2; n != want {
		t.Errorf("the other run has %d objects, want %d", n, want)
	}
	if err := Delete(dctx, cs, a.ID); err != nil {
		t.Errorf("deleting a deleted run: %v", err)
	}
}
