package controlplane

import (
	"context"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// TestJobControllerCreatesThePod runs the controller against client-go's
// fake clientset: a Job pinned to a node gets its pod, on that node.
func TestJobControllerCreatesThePod(t *testing.T) {
	one, zero := int32(1), int32(0)
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "suite-n1-0", Namespace: "run", UID: "u1"},
		Spec: batchv1.JobSpec{
			Completions: &one, Parallelism: &one, BackoffLimit: &zero,
			// What the API server's defaulting sets, which the fake does not.
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{batchv1.ControllerUidLabel: "u1"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{batchv1.ControllerUidLabel: "u1", batchv1.JobNameLabel: "suite-n1-0"}}, Spec: corev1.PodSpec{
				NodeName: "n1", RestartPolicy: corev1.RestartPolicyNever,
				Containers: []corev1.Container{{Name: "c", Image: "busybox"}},
			}},
		},
	}
	client := fake.NewClientset(job)
	var j JobController
	if err := j.Stop(); err != nil {
		t.Fatalf("Stop before Start: %v", err)
	}
	if err := j.start(context.Background(), client); err != nil {
		t.Fatal(err)
	}
	if err := j.start(context.Background(), client); err == nil {
		t.Error("a second start did not fail")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		pods, err := client.CoreV1().Pods("run").List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(pods.Items) == 1 {
			if n := pods.Items[0].Spec.NodeName; n != "n1" {
				t.Errorf("the Job's pod is on %q, want n1", n)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pod 10s after the Job (pods: %d)", len(pods.Items))
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- j.Stop() }()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not return within 10s")
	}
	if err := j.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}
