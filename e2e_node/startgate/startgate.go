package startgate

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
)

const (
	// AnnotationWaiting is set by the pod itself once its watch is open:
	// a release from then on cannot be missed. Its value is the time
	// (RFC 3339, nanoseconds).
	AnnotationWaiting = "node-e2e.io/waiting"
	// AnnotationStart is the start signal the runner sets on every member:
	// the release time (RFC 3339, nanoseconds), or AbortValue.
	AnnotationStart = "node-e2e.io/start"
	// AbortValue in AnnotationStart means: do not start, exit.
	AbortValue = "abort"
)

// ErrAborted is returned when the runner aborted the run before release.
var ErrAborted = errors.New("the run was aborted before the start signal")

// Await marks pod namespace/name waiting and blocks until its start
// annotation is set, returning the value (never AbortValue: that is
// ErrAborted). A closed watch is reopened; a deleted pod is an error.
func Await(ctx context.Context, cs kubernetes.Interface, namespace, name string) (string, error) {
	pods := cs.CoreV1().Pods(namespace)
	sel := fields.OneTermEqualSelector("metadata.name", name).String()
	marked := false
	for {
		list, err := pods.List(ctx, metav1.ListOptions{FieldSelector: sel})
		if err != nil {
			return "", fmt.Errorf("read pod %s/%s: %w", namespace, name, err)
		}
		if len(list.Items) == 0 {
			return "", fmt.Errorf("pod %s/%s does not exist", namespace, name)
		}
		if v, done := signal(&list.Items[0]); done {
			return result(v)
		}
		w, err := pods.Watch(ctx, metav1.ListOptions{FieldSelector: sel, ResourceVersion: list.ResourceVersion})
		if err != nil {
			return "", fmt.Errorf("watch pod %s/%s: %w", namespace, name, err)
		}
		if !marked {
			if err := markWaiting(ctx, pods, name); err != nil {
				w.Stop()
				return "", err
			}
			marked = true
		}
		v, done, err := consume(ctx, w)
		w.Stop()
		if err != nil {
			return "", fmt.Errorf("pod %s/%s: %w", namespace, name, err)
		}
		if done {
			return result(v)
		}
		// the watch closed: list again
	}
}

// markWaiting patches AnnotationWaiting onto the pod.
func markWaiting(ctx context.Context, pods interface {
	Patch(context.Context, string, types.PatchType, []byte, metav1.PatchOptions, ...string) (*corev1.Pod, error)
}, name string) error {
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, AnnotationWaiting, time.Now().UTC().Format(time.RFC3339Nano))
	if _, err := pods.Patch(ctx, name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("mark pod %s waiting: %w", name, err)
	}
	return nil
}

// consume reads w until the start annotation appears (done), the pod is
// deleted (error), the watch closes (not done, nil) or ctx ends.
func consume(ctx context.Context, w watch.Interface) (string, bool, error) {
	for {
		select {
		case <-ctx.Done():
			return "", false, ctx.Err()
		case ev, ok := <-w.ResultChan():
			if !ok {
				return "", false, nil
			}
			switch ev.Type {
			case watch.Deleted:
				return "", false, errors.New("deleted before the start signal")
			case watch.Error:
				if st, ok := ev.Object.(*metav1.Status); ok && st.Code == 410 {
					return "", false, nil // expired resource version: list again
				}
				return "", false, fmt.Errorf("watch: %v", apierrors.FromObject(ev.Object))
			}
			if p, ok := ev.Object.(*corev1.Pod); ok {
				if v, done := signal(p); done {
					return v, true, nil
				}
			}
		}
	}
}

func signal(p *corev1.Pod) (string, bool) {
	v := p.Annotations[AnnotationStart]
	return v, v != ""
}

func result(v string) (string, error) {
	if v == AbortValue {
		return "", ErrAborted
	}
	return v, nil
}
