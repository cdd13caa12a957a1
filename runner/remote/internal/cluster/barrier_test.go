package cluster

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

const barrierNS = "node-e2e-r1"

var twoNodes = []Member{{"node-a", 0}, {"node-b", 0}}

// suitePod is m's pod in the given phase; running pods have their
// container running.
func suitePod(m Member, phase corev1.PodPhase) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: workloadName(m) + "-x1y2z", Namespace: barrierNS, Labels: memberLabels("r1", m)},
		Spec:       corev1.PodSpec{NodeName: m.Node, Containers: []corev1.Container{{Name: "suite"}}},
		Status:     corev1.PodStatus{Phase: phase},
	}
	if phase == corev1.PodRunning {
		yes := true
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "suite", Started: &yes, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}
		p.Annotations = map[string]string{AnnotationWaiting: "2026-11-30T02:00:00Z"}
	}
	return p
}

// notWaiting is m's pod running, its watch not yet open (no
// AnnotationWaiting).
func notWaiting(m Member) *corev1.Pod {
	p := suitePod(m, corev1.PodRunning)
	p.Annotations = nil
	return p
}

func newBarrier(client *fake.Clientset, timeout time.Duration) *Barrier {
	return &Barrier{Client: client, Namespace: barrierNS, RunID: "r1", Members: twoNodes, Timeout: timeout}
}

func updatePod(t *testing.T, c *fake.Clientset, p *corev1.Pod) {
	t.Helper()
	if _, err := c.CoreV1().Pods(barrierNS).Update(context.Background(), p, metav1.UpdateOptions{}); err != nil {
		t.Error(err)
	}
}

// mustBeReleased checks every member's pod carries the start annotation.
func mustBeReleased(t *testing.T, c *fake.Clientset, rel Released) {
	t.Helper()
	pods, err := c.CoreV1().Pods(barrierNS).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		if _, err := time.Parse(time.RFC3339Nano, p.Annotations[AnnotationStart]); err != nil {
			t.Errorf("pod %s: start annotation %q: %v", p.Name, p.Annotations[AnnotationStart], err)
		}
	}
	if len(rel.Acked) != len(twoNodes) || len(rel.Arrived) != len(twoNodes) {
		t.Errorf("released %v, arrived %v: want every member", rel.Acked, rel.Arrived)
	}
}

func TestBarrierWaitsForALatePod(t *testing.T) {
	late := suitePod(twoNodes[1], corev1.PodPending)
	c := fake.NewClientset(suitePod(twoNodes[0], corev1.PodRunning), late)
	done := make(chan struct{})
	var rel Released
	var err error
	go func() {
		defer close(done)
		rel, err = newBarrier(c, 10*time.Second).Wait(context.Background())
	}()
	time.Sleep(200 * time.Millisecond)
	select {
	case <-done:
		t.Fatalf("released before the late pod ran: %v, %v", rel, err)
	default:
	}
	pods, _ := c.CoreV1().Pods(barrierNS).List(context.Background(), metav1.ListOptions{})
	for _, p := range pods.Items {
		if p.Annotations[AnnotationStart] != "" {
			t.Errorf("pod %s has the start signal before every pod runs", p.Name)
		}
	}
	updatePod(t, c, suitePod(twoNodes[1], corev1.PodRunning))
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("not released 5s after the last pod ran")
	}
	if err != nil {
		t.Fatal(err)
	}
	mustBeReleased(t, c, rel)
	if rel.Arrived[twoNodes[1]].Before(rel.Arrived[twoNodes[0]]) {
		t.Errorf("arrivals %v: the late pod arrived first", rel.Arrived)
	}
}

func TestBarrierFailsFastOnAFailedPod(t *testing.T) {
	failed := suitePod(twoNodes[1], corev1.PodFailed)
	failed.Status.Reason, failed.Status.Message = "OutOfcpu", "Pod was rejected: Node didn't have enough resource: cpu, requested: 64000, used: 100, capacity: 2000"
	c := fake.NewClientset(suitePod(twoNodes[0], corev1.PodRunning), failed)
	start := time.Now()
	_, err := newBarrier(c, time.Minute).Wait(context.Background())
	var nse *NotStartedError
	if !errors.As(err, &nse) || !nse.Failed {
		t.Fatalf("Wait = %v, want a NotStartedError for a failed pod", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v to report a failed pod", took)
	}
	for _, want := range []string{"node node-b", "OutOfcpu", "enough resource: cpu"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "node-a") {
		t.Errorf("error %q names the node that did start", err)
	}
	assertNotReleased(t, c)
}

func assertNotReleased(t *testing.T, c *fake.Clientset) {
	t.Helper()
	pods, _ := c.CoreV1().Pods(barrierNS).List(context.Background(), metav1.ListOptions{})
	for _, p := range pods.Items {
		if p.Annotations[AnnotationStart] != "" {
			t.Errorf("pod %s was released although the barrier failed", p.Name)
		}
	}
}

func TestBarrierTimeoutNamesEachNodeAndWhy(t *testing.T) {
	members := []Member{{"node-a", 0}, {"node-b", 0}, {"node-c", 0}}
	pulling := suitePod(members[1], corev1.PodPending)
	pulling.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "suite", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
		Reason: "ImagePullBackOff", Message: `Back-off pulling image "reg.example/suite@sha256:00"`}}}}
	ev := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "e1", Namespace: barrierNS},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: pulling.Name, Namespace: barrierNS},
		Type:           corev1.EventTypeWarning, Reason: "Failed", Message: "Failed to pull image: 404 Not Found",
	}
	c := fake.NewClientset(suitePod(members[0], corev1.PodRunning), pulling, ev)
	b := newBarrier(c, 300*time.Millisecond)
	b.Members = members
	start := time.Now()
	_, err := b.Wait(context.Background())
	var nse *NotStartedError
	if !errors.As(err, &nse) || nse.Failed {
		t.Fatalf("Wait = %v, want a timeout NotStartedError", err)
	}
	if took := time.Since(start); took < 300*time.Millisecond || took > 5*time.Second {
		t.Errorf("returned after %v, want about the 300ms timeout", took)
	}
	if len(nse.Reasons) != 2 {
		t.Errorf("reasons %v: want node-b and node-c", nse.Reasons)
	}
	for _, want := range []string{"node node-b", "ImagePullBackOff", "404 Not Found", "node node-c", "no pod was created", "--sync-timeout=300ms"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	assertNotReleased(t, c)
}

// TestBarrierSurvivesADroppedWatch closes the first watch mid-way: the
// barrier lists again and sees the pod that started meanwhile.
func TestBarrierSurvivesADroppedWatch(t *testing.T) {
	c := fake.NewClientset(suitePod(twoNodes[0], corev1.PodRunning), suitePod(twoNodes[1], corev1.PodPending))
	first := watch.NewFake()
	var watches, lists atomic.Int32
	c.PrependWatchReactor("pods", func(k8stesting.Action) (bool, watch.Interface, error) {
		if watches.Add(1) == 1 {
			return true, first, nil
		}
		return false, nil, nil
	})
	c.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		lists.Add(1)
		return false, nil, nil
	})
	done := make(chan error, 1)
	var rel Released
	go func() {
		var err error
		rel, err = newBarrier(c, 10*time.Second).Wait(context.Background())
		done <- err
	}()
	deadline := time.Now().Add(5 * time.Second)
	for watches.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	// The pod starts while the watch is dropped: its event is lost.
	updatePod(t, c, suitePod(twoNodes[1], corev1.PodRunning))
	first.Stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("not released 5s after the watch dropped")
	}
	mustBeReleased(t, c, rel)
	if lists.Load() < 2 {
		t.Errorf("%d lists: want a fresh list after the dropped watch", lists.Load())
	}
}

func TestBarrierReportsADeletedPod(t *testing.T) {
	c := fake.NewClientset(suitePod(twoNodes[0], corev1.PodRunning), suitePod(twoNodes[1], corev1.PodPending))
	done := make(chan error, 1)
	go func() {
		_, err := newBarrier(c, 10*time.Second).Wait(context.Background())
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	if err := c.CoreV1().Pods(barrierNS).Delete(context.Background(), suitePod(twoNodes[1], "").Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		var nse *NotStartedError
		if !errors.As(err, &nse) || !nse.Failed || !strings.Contains(err.Error(), "node node-b") {
			t.Fatalf("Wait = %v, want node-b reported as failed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a deleted pod was not reported")
	}
}

func TestSkew(t *testing.T) {
	r := Released{Acked: map[Member]time.Duration{}}
	for i, d := range []time.Duration{3, 9, 5} {
		r.Acked[Member{Node: "n", Replica: i}] = d * time.Millisecond
	}
	if got := r.Skew(); got != 6*time.Millisecond {
		t.Errorf("Skew = %v, want 6ms", got)
	}
}

// TestBarrierWaitsForTheWaitingAnnotation: a running pod has not arrived
// until it marks itself waiting (its watch for the signal is open).
func TestBarrierWaitsForTheWaitingAnnotation(t *testing.T) {
	c := fake.NewClientset(suitePod(twoNodes[0], corev1.PodRunning), notWaiting(twoNodes[1]))
	done := make(chan struct{})
	var rel Released
	var err error
	go func() {
		defer close(done)
		rel, err = newBarrier(c, 10*time.Second).Wait(context.Background())
	}()
	select {
	case <-done:
		t.Fatalf("released a running pod that was not waiting: %v, %v", rel, err)
	case <-time.After(300 * time.Millisecond):
	}
	assertNotReleased(t, c)
	updatePod(t, c, suitePod(twoNodes[1], corev1.PodRunning))
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("not released 5s after the last pod marked itself waiting")
	}
	if err != nil {
		t.Fatal(err)
	}
	mustBeReleased(t, c, rel)
}

// TestBarrierTimeoutNamesARunningPodThatNeverWaited: the reason says the
// pod runs but never marked itself waiting.
func TestBarrierTimeoutNamesARunningPodThatNeverWaited(t *testing.T) {
	c := fake.NewClientset(suitePod(twoNodes[0], corev1.PodRunning), notWaiting(twoNodes[1]))
	_, err := newBarrier(c, 200*time.Millisecond).Wait(context.Background())
	var nse *NotStartedError
	if !errors.As(err, &nse) || nse.Failed {
		t.Fatalf("Wait = %v, want a timeout NotStartedError", err)
	}
	for _, want := range []string{"node node-b", "never marked itself " + AnnotationWaiting, "--await-start"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "node-a") {
		t.Errorf("error %q names the node that waits", err)
	}
	assertNotReleased(t, c)
}

// TestBarrierFailsFastOnAnImageNotFound: a suite image the registry does
// not have fails the barrier at once; a pull error that may pass waits.
func TestBarrierFailsFastOnAnImageNotFound(t *testing.T) {
	pulling := func(reason, msg string) *corev1.Pod {
		p := suitePod(twoNodes[1], corev1.PodPending)
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "suite", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}}}
		return p
	}
	notFound := `failed to pull and unpack image "127.0.0.1:5000/node-e2e-suite@sha256:00": failed to resolve reference: 127.0.0.1:5000/node-e2e-suite@sha256:00: not found`
	for _, tc := range []struct {
		reason, msg string
		fast        bool
	}{
		{"ErrImagePull", notFound, true},
		{"ImagePullBackOff", `Back-off pulling image "x": ErrImagePull: ` + notFound, true},
		{"InvalidImageName", "Failed to apply default image tag", true},
		{"ErrImagePull", "dial tcp 127.0.0.1:5000: connect: connection refused", false},
	} {
		c := fake.NewClientset(suitePod(twoNodes[0], corev1.PodRunning), pulling(tc.reason, tc.msg))
		start := time.Now()
		_, err := newBarrier(c, 500*time.Millisecond).Wait(context.Background())
		var nse *NotStartedError
		if !errors.As(err, &nse) || nse.Failed != tc.fast {
			t.Errorf("%s %q: Wait = %v, want failed=%v", tc.reason, tc.msg, err, tc.fast)
			continue
		}
		if took := time.Since(start); tc.fast && took > 400*time.Millisecond {
			t.Errorf("%s: took %v to report an image that cannot be pulled", tc.reason, took)
		}
		for _, want := range []string{"node node-b", tc.reason} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
		assertNotReleased(t, c)
	}
}
