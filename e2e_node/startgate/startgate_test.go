package startgate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func pod(annotations map[string]string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "suite-a-0", Namespace: "run", Annotations: annotations}}
}

type outcome struct {
	v   string
	err error
}

func await(cs *fake.Clientset) chan outcome {
	out := make(chan outcome, 1)
	go func() {
		v, err := Await(context.Background(), cs, "run", "suite-a-0")
		out <- outcome{v, err}
	}()
	return out
}

// waitMarked waits until the pod carries AnnotationWaiting.
func waitMarked(t *testing.T, cs *fake.Clientset) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		p, err := cs.CoreV1().Pods("run").Get(context.Background(), "suite-a-0", metav1.GetOptions{})
		if err == nil && p.Annotations[AnnotationWaiting] != "" {
			if _, err := time.Parse(time.RFC3339Nano, p.Annotations[AnnotationWaiting]); err != nil {
				t.Fatalf("waiting annotation %q: %v", p.Annotations[AnnotationWaiting], err)
			}
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the pod was never marked waiting")
}

func release(t *testing.T, cs *fake.Clientset, v string) {
	t.Helper()
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, AnnotationStart, v)
	if _, err := cs.CoreV1().Pods("run").Patch(context.Background(), "suite-a-0", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, out chan outcome) outcome {
	t.Helper()
	select {
	case o := <-out:
		return o
	case <-time.After(5 * time.Second):
		t.Fatal("Await did not return")
		return outcome{}
	}
}

func TestAwaitReleased(t *testing.T) {
	cs := fake.NewClientset(pod(nil))
	out := await(cs)
	waitMarked(t, cs)
	select {
	case o := <-out:
		t.Fatalf("returned %+v before the release", o)
	case <-time.After(50 * time.Millisecond):
	}
	release(t, cs, "2026-11-30T05:30:00.000000001Z")
	if o := get(t, out); o.err != nil || o.v != "2026-11-30T05:30:00.000000001Z" {
		t.Fatalf("got %+v, want the release time", o)
	}
}

func TestAwaitAborted(t *testing.T) {
	cs := fake.NewClientset(pod(nil))
	out := await(cs)
	waitMarked(t, cs)
	release(t, cs, AbortValue)
	if o := get(t, out); !errors.Is(o.err, ErrAborted) {
		t.Fatalf("got %+v, want ErrAborted", o)
	}
}

// TestAwaitAlreadyReleased: a pod that starts after the release (the
// runner crashed and came back, or a slow start) goes at once.
func TestAwaitAlreadyReleased(t *testing.T) {
	cs := fake.NewClientset(pod(map[string]string{AnnotationStart: "t0"}))
	if o := get(t, await(cs)); o.err != nil || o.v != "t0" {
		t.Fatalf("got %+v", o)
	}
}

func TestAwaitPodDeleted(t *testing.T) {
	cs := fake.NewClientset(pod(nil))
	out := await(cs)
	waitMarked(t, cs)
	if err := cs.CoreV1().Pods("run").Delete(context.Background(), "suite-a-0", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if o := get(t, out); o.err == nil || !strings.Contains(o.err.Error(), "deleted before the start signal") {
		t.Fatalf("got %+v, want the deletion named", o)
	}
}

func TestAwaitMissingPod(t *testing.T) {
	if o := get(t, await(fake.NewClientset())); o.err == nil || !strings.Contains(o.err.Error(), "run/suite-a-0 does not exist") {
		t.Fatalf("got %+v", o)
	}
}

// TestAwaitWatchClosed: the first watch closes without an event; Await
// lists again (seeing a release that happened meanwhile) and marks the
// pod waiting only once.
func TestAwaitWatchClosed(t *testing.T) {
	cs := fake.NewClientset(pod(nil))
	var watches, patches atomic.Int32
	first := watch.NewFake()
	cs.PrependWatchReactor("pods", func(k8stesting.Action) (bool, watch.Interface, error) {
		if watches.Add(1) == 1 {
			return true, first, nil
		}
		return false, nil, nil
	})
	cs.PrependReactor("patch", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		patches.Add(1)
		return false, nil, nil
	})
	out := await(cs)
	waitMarked(t, cs)
	release(t, cs, "t1") // not seen on the fake watch
	first.Stop()
	if o := get(t, out); o.err != nil || o.v != "t1" {
		t.Fatalf("got %+v", o)
	}
	if n := patches.Load(); n != 2 { // one mark, one release
		t.Errorf("%d patches, want the pod marked once (and released once)", n)
	}
}
