package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
)

// cleanRole is the LabelRole of CleanNodes's pods (suite pods carry
// LabelSync instead).
const cleanRole = "clean"

// cleanTimeout bounds CleanNodes when ctx has no deadline.
const cleanTimeout = 2 * time.Minute

// CleanPod is the bare pod that removes r's report directories from node:
// the suite image's busybox runs `rm -rf /var/log/node-e2e/<run id>` with
// NodeRunsDir mounted from the host, on node (nodeName: no scheduler),
// tolerating every taint, without a ServiceAccount token or resource
// requests (it must run on a full node too), in the run namespace.
func (r Run) CleanPod(node string) *corev1.Pod {
	r = r.Defaulted()
	no := false
	grace, deadline := int64(1), int64(cleanTimeout/time.Second)
	labels := runLabels(r.ID)
	labels[LabelNode] = node
	labels[LabelRole] = cleanRole
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: cleanPodName(node), Namespace: r.Namespace, Labels: labels},
		Spec: corev1.PodSpec{
			NodeName:                      node,
			RestartPolicy:                 corev1.RestartPolicyNever,
			AutomountServiceAccountToken:  &no,
			TerminationGracePeriodSeconds: &grace,
			ActiveDeadlineSeconds:         &deadline,
			Tolerations:                   []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			Containers: []corev1.Container{{
				Name:                     "clean",
				Image:                    r.SuiteImage,
				Command:                  []string{"/bin/sh", "-c", "rm -rf " + NodeRunsDir + "/" + r.ID},
				VolumeMounts:             []corev1.VolumeMount{{Name: "runs", MountPath: NodeRunsDir}},
				TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
				ImagePullPolicy:          corev1.PullIfNotPresent,
			}},
			Volumes: []corev1.Volume{hostPath("runs", NodeRunsDir, corev1.HostPathDirectoryOrCreate)},
		},
	}
}

// cleanPodName is clean-<node>, the node's dots replaced by dashes, cut
// with a hash of the node name when too long for a pod name.
func cleanPodName(node string) string {
	name := "clean-" + strings.ReplaceAll(node, ".", "-")
	if len(name) <= maxNameLen {
		return name
	}
	sum := sha256.Sum256([]byte(node))
	h := "-" + hex.EncodeToString(sum[:])[:8]
	return strings.TrimRight(name[:maxNameLen-len(h)], "-") + h
}

// CleanNodes removes r's report directories (NodeRunsDir/<run id>) from
// every node of r: one CleanPod per node in the run namespace (so it
// must run before the namespace is deleted), watched until each has
// Succeeded, then deleted, whatever happened. The error names each node
// whose directory may be left, and why (the pod failed, with its
// container's termination and message, or did not end in time, with its
// waiting reason). Without a deadline on ctx it gives up after 2 minutes.
func CleanNodes(ctx context.Context, cs kubernetes.Interface, r Run) error {
	r = r.Defaulted()
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cleanTimeout)
		defer cancel()
	}
	pods := cs.CoreV1().Pods(r.Namespace)
	sel := RunSelector(r.ID) + "," + LabelRole + "=" + cleanRole
	defer func() {
		// Whatever happened: a fresh context, the caller's may be over.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		grace := int64(0)
		for _, n := range r.Nodes {
			_ = pods.Delete(dctx, cleanPodName(n), metav1.DeleteOptions{GracePeriodSeconds: &grace})
		}
	}()

	var errs []error
	pending := map[string]string{} // pod name -> node
	for _, n := range r.Nodes {
		p := r.CleanPod(n)
		_, err := pods.Create(ctx, p, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) { // left by an earlier attempt
			grace := int64(0)
			_ = pods.Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &grace})
			err = waitPodGone(ctx, cs, r.Namespace, p.Name)
			if err == nil {
				_, err = pods.Create(ctx, p, metav1.CreateOptions{})
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("node %s: create clean pod: %w", n, err))
			continue
		}
		pending[p.Name] = n
	}

	last := map[string]*corev1.Pod{}
	for len(pending) > 0 && ctx.Err() == nil {
		l, err := pods.List(ctx, metav1.ListOptions{LabelSelector: sel})
		if err != nil {
			break
		}
		for i := range l.Items {
			judgeCleanPod(&l.Items[i], pending, last, &errs)
		}
		if len(pending) == 0 {
			break
		}
		w, err := pods.Watch(ctx, metav1.ListOptions{LabelSelector: sel, ResourceVersion: l.ResourceVersion})
		if err != nil {
			break
		}
		watchCleanPods(ctx, w, pending, last, &errs)
		w.Stop()
	}
	names := make([]string, 0, len(pending))
	for name := range pending {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		errs = append(errs, fmt.Errorf("node %s: clean pod %s did not end: %s", pending[name], name, cleanPodState(last[name])))
	}
	if len(errs) > 0 {
		return fmt.Errorf("cluster: remove %s/%s from the nodes: %w", NodeRunsDir, r.ID, errors.Join(errs...))
	}
	return nil
}

// watchCleanPods judges the pods w reports until none is pending, w
// closes, or ctx ends.
func watchCleanPods(ctx context.Context, w watch.Interface, pending map[string]string, last map[string]*corev1.Pod, errs *[]error) {
	for len(pending) > 0 {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.ResultChan():
			if !ok {
				return
			}
			if p, ok := ev.Object.(*corev1.Pod); ok && (ev.Type == watch.Added || ev.Type == watch.Modified) {
				judgeCleanPod(p, pending, last, errs)
			}
		}
	}
}

// judgeCleanPod removes an ended clean pod from pending, adding an error
// when it failed.
func judgeCleanPod(p *corev1.Pod, pending map[string]string, last map[string]*corev1.Pod, errs *[]error) {
	node, ok := pending[p.Name]
	if !ok {
		return
	}
	last[p.Name] = p
	for _, c := range p.Status.ContainerStatuses {
		if w := c.State.Waiting; w != nil && unpullable[w.Reason] {
			// The suite image cannot be had on the node: no suite pod of
			// the run started there either, so it left no directory.
			delete(pending, p.Name)
			*errs = append(*errs, fmt.Errorf("node %s: clean pod %s cannot start: %s", node, p.Name, cleanPodState(p)))
			return
		}
	}
	switch p.Status.Phase {
	case corev1.PodSucceeded:
		delete(pending, p.Name)
	case corev1.PodFailed:
		delete(pending, p.Name)
		*errs = append(*errs, fmt.Errorf("node %s: clean pod %s failed: %s", node, p.Name, cleanPodState(p)))
	}
}

// unpullable are the waiting reasons of a container whose image the node
// cannot get: waiting longer changes nothing.
var unpullable = map[string]bool{"ErrImagePull": true, "ImagePullBackOff": true, "InvalidImageName": true, "ErrImageNeverPull": true}

// cleanPodState says where a clean pod is: its phase, the pod's reason,
// and its container's waiting or terminated state with the message.
func cleanPodState(p *corev1.Pod) string {
	if p == nil {
		return "no status seen"
	}
	parts := []string{"phase " + string(p.Status.Phase)}
	if p.Status.Reason != "" || p.Status.Message != "" {
		parts = append(parts, strings.TrimSpace(p.Status.Reason+" "+p.Status.Message))
	}
	for _, c := range p.Status.ContainerStatuses {
		switch {
		case c.State.Waiting != nil:
			parts = append(parts, strings.TrimSpace("waiting: "+c.State.Waiting.Reason+" "+c.State.Waiting.Message))
		case c.State.Terminated != nil:
			t := c.State.Terminated
			parts = append(parts, strings.TrimSpace(fmt.Sprintf("exit %d %s %s", t.ExitCode, t.Reason, strings.TrimSpace(t.Message))))
		}
	}
	return strings.Join(parts, ", ")
}

// waitPodGone polls until pod name is gone from namespace ns.
func waitPodGone(ctx context.Context, cs kubernetes.Interface, ns, name string) error {
	for {
		_, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pod %s still there: %w", name, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
