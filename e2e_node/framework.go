package e2e_node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/remotecommand"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/utils/ptr"

	"github.com/node-e2e/harness/images"
	"github.com/node-e2e/harness/services"
)

// env is the suite's connection to the node, set up once per process.
var env struct {
	info       suiteInfo
	restConfig *rest.Config
	client     kubernetes.Interface
}

// connect builds the clients from info.
func connect(info suiteInfo) error {
	var rc *rest.Config
	var err error
	if info.Kubeconfig != "" {
		rc, err = clientcmd.BuildConfigFromFlags("", info.Kubeconfig)
	} else {
		rc = &rest.Config{Host: info.Host, BearerToken: info.BearerToken, TLSClientConfig: hostTLS(info)}
	}
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	rc.QPS, rc.Burst = 50, 100
	c, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	env.info, env.restConfig, env.client = info, rc, c
	return nil
}

// ensureImages checks over CRI that every image the harness pre-pulls is in
// the runtime (the harness pulled them, --prepull-images).
func ensureImages(ctx context.Context) error {
	if env.info.RuntimeEndpoint == "" && env.info.Registry != nil {
		return nil // not on this host: the node pulls the pushed images itself
	}
	if env.info.Registry == nil {
		return errors.New("no image registry is known for this node: the suite's images come from the registry of a run this harness started (use it, or --run-dir of a run left by --stop-services=false)")
	}
	conn, err := services.DialCRI(env.info.RuntimeEndpoint)
	if err != nil {
		return err
	}
	defer conn.Close()
	is := runtimeapi.NewImageServiceClient(conn)
	var missing []string
	for _, ref := range services.PrepullImages(env.info.Registry) {
		resp, err := is.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: ref}})
		if err != nil {
			return fmt.Errorf("image status %s: %w", ref, err)
		}
		if resp.Image == nil {
			missing = append(missing, ref)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("images missing from the runtime at %s: %s (the harness pulls them from its registry before the kubelet starts)", env.info.RuntimeEndpoint, strings.Join(missing, ", "))
	}
	return nil
}

// suiteImage returns the reference of the suite image called name (see
// images.Names), and fails the spec if the suite has no such image.
func suiteImage(name string) string {
	ginkgo.GinkgoHelper()
	if r := env.info.Registry; r != nil {
		if ref, ok := r.Images[name]; ok {
			return ref
		}
	}
	ginkgo.Fail(fmt.Sprintf("image %q is not one of the suite's images %v: no registry but the harness's own is reachable, so every image a spec uses must be built by this repository (images/) and served by the harness", name, images.Names()))
	return ""
}

// busyboxContainer is a container named name running command in the
// busybox image.
func busyboxContainer(name string, command ...string) v1.Container {
	return v1.Container{Name: name, Image: suiteImage(images.BusyboxName), ImagePullPolicy: v1.PullIfNotPresent, Command: command}
}

// busyboxPod is a pod on the node whose container "main" runs command in
// the busybox image.
func busyboxPod(name string, command ...string) *v1.Pod {
	return &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1.PodSpec{
			// No scheduler runs: the pod is bound to the node directly.
			NodeName:                      env.info.NodeName,
			RestartPolicy:                 v1.RestartPolicyNever,
			TerminationGracePeriodSeconds: ptr.To[int64](1),
			Containers:                    []v1.Container{busyboxContainer("main", command...)},
		},
	}
}

// emptyDir is a disk-backed emptyDir volume named name.
func emptyDir(name string) v1.Volume {
	return v1.Volume{Name: name, VolumeSource: v1.VolumeSource{EmptyDir: &v1.EmptyDirVolumeSource{}}}
}

// createPod creates pod in ns.
func createPod(ctx context.Context, ns string, pod *v1.Pod) *v1.Pod {
	ginkgo.GinkgoHelper()
	got, err := env.client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	gomega.Expect(err).NotTo(gomega.HaveOccurred(), "create pod %s/%s", ns, pod.Name)
	return got
}

// awaitPod polls pod ns/name until cond holds, and describes the pod when
// it does not.
func awaitPod(ctx context.Context, ns, name string, timeout time.Duration, what string, cond func(*v1.Pod) bool) *v1.Pod {
	ginkgo.GinkgoHelper()
	var last *v1.Pod
	gomega.Eventually(ctx, func(ctx context.Context) (bool, error) {
		p, err := env.client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		last = p
		return cond(p), nil
	}).WithTimeout(timeout).WithPolling(200*time.Millisecond).Should(gomega.BeTrue(), func() string {
		return fmt.Sprintf("pod %s/%s never became %s; last status: %s", ns, name, what, describePodStatus(last))
	})
	return last
}

// awaitPodPhase waits for the pod to reach phase.
func awaitPodPhase(ctx context.Context, ns, name string, phase v1.PodPhase, timeout time.Duration) *v1.Pod {
	ginkgo.GinkgoHelper()
	return awaitPod(ctx, ns, name, timeout, string(phase), func(p *v1.Pod) bool { return p.Status.Phase == phase })
}

func describePodStatus(p *v1.Pod) string {
	if p == nil {
		return "(pod never read)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "phase=%s", p.Status.Phase)
	if p.Status.Reason != "" {
		fmt.Fprintf(&b, " reason=%s message=%q", p.Status.Reason, p.Status.Message)
	}
	for _, cs := range p.Status.ContainerStatuses {
		fmt.Fprintf(&b, "; container %s ready=%t restarts=%d", cs.Name, cs.Ready, cs.RestartCount)
		if w := cs.State.Waiting; w != nil {
			fmt.Fprintf(&b, " waiting(%s: %s)", w.Reason, w.Message)
		}
		if t := cs.State.Terminated; t != nil {
			fmt.Fprintf(&b, " terminated(%s, exit %d)", t.Reason, t.ExitCode)
		}
	}
	return b.String()
}

// execInPod runs command in a container through the API server (and so the
// kubelet's streaming server) and returns stdout and stderr.
func execInPod(ctx context.Context, ns, pod, container string, command ...string) (string, string, error) {
	req := env.client.CoreV1().RESTClient().Post().Resource("pods").Namespace(ns).Name(pod).SubResource("exec").
		VersionedParams(&v1.PodExecOptions{Container: container, Command: command, Stdout: true, Stderr: true}, scheme.ParameterCodec)
	ex, err := remotecommand.NewSPDYExecutor(env.restConfig, "POST", req.URL())
	if err != nil {
		return "", "", err
	}
	var out, errOut bytes.Buffer
	err = ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &out, Stderr: &errOut})
	return out.String(), errOut.String(), err
}

// uniqueName returns base with a random suffix.
func uniqueName(base string) string { return base + "-" + rand.String(5) }

// metaGet is the empty GetOptions.
var metaGet = metav1.GetOptions{}

// metaUpdate is the empty UpdateOptions.
var metaUpdate = metav1.UpdateOptions{}

// readFile reads a file on the node (the suite runs on the node).
func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}

// errNotYet is returned by polled functions whose condition does not hold yet.
var errNotYet = errors.New("not yet")
