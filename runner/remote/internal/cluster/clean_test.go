package cluster

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
)

func TestCleanPodGolden(t *testing.T) {
	r := testRun()
	b, err := Manifest([]runtime.Object{r.CleanPod("node-a"), r.CleanPod("node-b.example.com")})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "clean-pods.yaml", b)
	p := r.CleanPod("node-a")
	if p.Labels[LabelSync] != "" || p.Labels[LabelRunID] != r.ID || p.Labels[LabelManagedBy] != ManagedBy {
		t.Errorf("clean pod labels %v: want the run's, never the sync label", p.Labels)
	}
	long := strings.Repeat("n", 60) + ".example.com"
	if n := cleanPodName(long); len(n) > maxNameLen || n == cleanPodName(long+"x") {
		t.Errorf("cleanPodName(long) = %q", n)
	}
}

// kubeletFake plays the nodes' kubelets for clean pods: each created pod
// ends as end[node] makes it (absent: it stays as created).
func kubeletFake(t *testing.T, cs *fake.Clientset, ns string, end map[string]func(*corev1.Pod)) {
	t.Helper()
	w, err := cs.CoreV1().Pods(ns).Watch(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	t.Cleanup(func() { w.Stop(); wg.Wait() })
	go func() {
		defer wg.Done()
		for ev := range w.ResultChan() {
			p, ok := ev.Object.(*corev1.Pod)
			if !ok || ev.Type != "ADDED" {
				continue
			}
			f := end[p.Spec.NodeName]
			if f == nil {
				continue
			}
			p = p.DeepCopy()
			f(p)
			if _, err := cs.CoreV1().Pods(ns).UpdateStatus(context.Background(), p, metav1.UpdateOptions{}); err != nil {
				t.Errorf("update status: %v", err)
			}
		}
	}()
}

func TestCleanNodes(t *testing.T) {
	r := testRun().Defaulted()
	succeed := func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded }
	fail := func(p *corev1.Pod) {
		p.Status.Phase = corev1.PodFailed
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "clean", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: 1, Reason: "Error", Message: "rm: can't remove '/var/log/node-e2e/r20261130a/x': Read-only file system\n"}}}}
	}
	pull := func(p *corev1.Pod) {
		p.Status.Phase = corev1.PodPending
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "clean", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
			Reason: "ImagePullBackOff", Message: "Back-off pulling image"}}}}
	}
	creating := func(p *corev1.Pod) {
		p.Status.Phase = corev1.PodPending
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "clean", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
			Reason: "ContainerCreating"}}}}
	}
	for _, c := range []struct {
		name string
		end  map[string]func(*corev1.Pod)
		want []string
	}{
		{"both succeed", map[string]func(*corev1.Pod){"node-a": succeed, "node-b.example.com": succeed}, nil},
		{"one fails", map[string]func(*corev1.Pod){"node-a": succeed, "node-b.example.com": fail},
			[]string{"node node-b.example.com: clean pod clean-node-b-example-com failed: phase Failed, exit 1 Error rm: can't remove"}},
		{"one cannot pull", map[string]func(*corev1.Pod){"node-a": pull, "node-b.example.com": succeed},
			[]string{"node node-a: clean pod clean-node-a cannot start: phase Pending, waiting: ImagePullBackOff Back-off pulling image"}},
		{"one never runs", map[string]func(*corev1.Pod){"node-a": creating, "node-b.example.com": succeed},
			[]string{"node node-a: clean pod clean-node-a did not end: phase Pending, waiting: ContainerCreating"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cs := fake.NewClientset()
			kubeletFake(t, cs, r.Namespace, c.end)
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			defer cancel()
			start := time.Now()
			err := CleanNodes(ctx, cs, r)
			if took := time.Since(start); c.name == "one cannot pull" && took > 500*time.Millisecond {
				t.Errorf("took %v: an image the node cannot pull must not be waited for", took)
			}
			switch {
			case len(c.want) == 0 && err != nil:
				t.Fatalf("CleanNodes: %v", err)
			case len(c.want) > 0 && err == nil:
				t.Fatal("CleanNodes: no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			l, _ := cs.CoreV1().Pods(r.Namespace).List(t.Context(), metav1.ListOptions{})
			if len(l.Items) != 0 {
				t.Errorf("clean pods left: %d", len(l.Items))
			}
			var created []string
			for _, a := range cs.Actions() {
				if a.GetVerb() == "create" && a.GetResource().Resource == "pods" {
					created = append(created, a.(interface{ GetObject() runtime.Object }).GetObject().(*corev1.Pod).Spec.NodeName)
				}
			}
			if strings.Join(created, ",") != "node-a,node-b.example.com" {
				t.Errorf("clean pods created on %v", created)
			}
		})
	}
}
