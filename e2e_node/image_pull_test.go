package e2e_node

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/node-e2e/harness/images"
)

// testImageContainer runs the test image with args (a subcommand first).
func testImageContainer(name string, args ...string) v1.Container {
	ginkgo.GinkgoHelper()
	return v1.Container{Name: name, Image: suiteImage(images.TestName), ImagePullPolicy: v1.PullIfNotPresent, Args: args}
}

// testImagePod is a pod of one test image container.
func testImagePod(name string, args ...string) *v1.Pod {
	ginkgo.GinkgoHelper()
	pod := busyboxPod(name)
	pod.Spec.Containers = []v1.Container{testImageContainer("main", args...)}
	return pod
}

// podEvents returns "Reason: message" for every event about the pod.
func podEvents(ctx context.Context, ns, name string) ([]string, error) {
	list, err := env.client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("involvedObject.name", name).String(),
	})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range list.Items {
		out = append(out, e.Reason+": "+e.Message)
	}
	return out, nil
}

// awaitEvent waits for an event about the pod whose "Reason: message"
// contains every part.
func awaitEvent(ctx context.Context, ns, name string, parts ...string) {
	ginkgo.GinkgoHelper()
	gomega.Eventually(ctx, func(ctx context.Context) ([]string, error) {
		return podEvents(ctx, ns, name)
	}).WithTimeout(2*time.Minute).WithPolling(500*time.Millisecond).Should(gomega.ContainElement(gomega.SatisfyAll(containsAll(parts)...)), "an event for %s/%s containing %q", ns, name, parts)
}

func containsAll(parts []string) []gomega.OmegaMatcher {
	var ms []gomega.OmegaMatcher
	for _, p := range parts {
		ms = append(ms, gomega.ContainSubstring(p))
	}
	return ms
}

// waitingReason is the first container's waiting reason, or "".
func waitingReason(p *v1.Pod) string {
	if len(p.Status.ContainerStatuses) == 0 || p.Status.ContainerStatuses[0].State.Waiting == nil {
		return ""
	}
	return p.Status.ContainerStatuses[0].State.Waiting.Reason
}

// registryPullSecret returns a kubernetes.io/dockerconfigjson secret with
// the harness registry's credentials.
func registryPullSecret(name string) *v1.Secret {
	ginkgo.GinkgoHelper()
	r := env.info.Registry
	auth := base64.StdEncoding.EncodeToString([]byte(r.Username + ":" + r.Password))
	cfg, err := json.Marshal(map[string]any{"auths": map[string]any{r.Host: map[string]string{"username": r.Username, "password": r.Password, "auth": auth}}})
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	return &v1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Type:       v1.SecretTypeDockerConfigJson,
		Data:       map[string][]byte{v1.DockerConfigJsonKey: cfg},
	}
}

// httpGet returns the body of a GET of url, or an error for a non-200.
func httpGet(url string) (string, error) {
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("GET %s: %s: %s", url, resp.Status, b)
	}
	return string(b), nil
}

var _ = ginkgo.Describe("Image pulls from the harness's registry", ginkgo.Label("NodeConformance"), func() {
	var ns string
	ginkgo.BeforeEach(func(ctx context.Context) {
		if env.info.Registry == nil || !env.info.NodePulls {
			ginkgo.Skip("needs a node whose runtime pulls from the suite's registry (the harness's own containerd, or give --image-registry a registry the node pulls from); the suite's images were imported into this one")
		}
		ns = createNamespace(ctx, "pull")
	})

	ginkgo.It("pulls an image that is not on the node (IfNotPresent), then finds it present", func(ctx context.Context) {
		ref := suiteImage(images.PullTestName)
		first := uniqueName("first")
		pod := testImagePod(first, "pause")
		pod.Spec.Containers[0].Image = ref
		createPod(ctx, ns, pod)
		awaitPodPhase(ctx, ns, first, v1.PodRunning, 2*time.Minute)
		awaitEvent(ctx, ns, first, "Pulled", "Successfully pulled image", ref)

		second := uniqueName("second")
		pod = testImagePod(second, "pause")
		pod.Spec.Containers[0].Image = ref
		createPod(ctx, ns, pod)
		awaitPodPhase(ctx, ns, second, v1.PodRunning, 2*time.Minute)
		awaitEvent(ctx, ns, second, "Pulled", ref, "already present on machine")
	})

	ginkgo.It("pulls again for imagePullPolicy Always", func(ctx context.Context) {
		name := uniqueName("always")
		pod := busyboxPod(name, "sleep", "3600")
		pod.Spec.Containers[0].ImagePullPolicy = v1.PullAlways
		createPod(ctx, ns, pod)
		awaitPodPhase(ctx, ns, name, v1.PodRunning, 2*time.Minute)
		awaitEvent(ctx, ns, name, "Pulling", suiteImage(images.BusyboxName))
		awaitEvent(ctx, ns, name, "Pulled", suiteImage(images.BusyboxName))
	})

	ginkgo.It("reports ErrImagePull, then ImagePullBackOff, for an image the registry does not have", ginkgo.SpecPriority(1), func(ctx context.Context) {
		ref := env.info.Registry.Host + "/does-not-exist:1.0"
		name := uniqueName("missing")
		pod := busyboxPod(name, "true")
		pod.Spec.Containers[0].Image = ref
		createPod(ctx, ns, pod)
		// ErrImagePull may last less than a poll; the events keep it.
		awaitPod(ctx, ns, name, 2*time.Minute, "ImagePullBackOff", func(p *v1.Pod) bool { return waitingReason(p) == "ImagePullBackOff" })
		awaitEvent(ctx, ns, name, "Failed", ref)
		awaitEvent(ctx, ns, name, "Failed", "ErrImagePull")
		awaitEvent(ctx, ns, name, "BackOff", ref)
		p, err := env.client.CoreV1().Pods(ns).Get(ctx, name, metaGet)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		gomega.Expect(p.Status.Phase).To(gomega.Equal(v1.PodPending))
	})

	ginkgo.It("refuses a private image without imagePullSecrets and runs it with them", func(ctx context.Context) {
		if !env.info.PrivateNeedsAuth || env.info.Registry.Username == "" {
			ginkgo.Skip("needs a registry whose private repository refuses anonymous pulls, and its credentials (--image-registry-credentials-file)")
		}
		ref := suiteImage(images.PrivateTestName)
		denied := uniqueName("denied")
		pod := testImagePod(denied, "pause")
		pod.Spec.Containers[0].Image, pod.Spec.Containers[0].ImagePullPolicy = ref, v1.PullAlways
		createPod(ctx, ns, pod)
		awaitPod(ctx, ns, denied, 2*time.Minute, "ErrImagePull or ImagePullBackOff", func(p *v1.Pod) bool {
			r := waitingReason(p)
			return r == "ErrImagePull" || r == "ImagePullBackOff"
		})
		awaitEvent(ctx, ns, denied, "Failed", ref)

		secret := registryPullSecret("registry-creds")
		_, err := env.client.CoreV1().Secrets(ns).Create(ctx, secret, metav1.CreateOptions{})
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		allowed := uniqueName("allowed")
		pod = testImagePod(allowed, "pause")
		pod.Spec.Containers[0].Image, pod.Spec.Containers[0].ImagePullPolicy = ref, v1.PullAlways
		pod.Spec.ImagePullSecrets = []v1.LocalObjectReference{{Name: secret.Name}}
		createPod(ctx, ns, pod)
		awaitPodPhase(ctx, ns, allowed, v1.PodRunning, 2*time.Minute)
	})

	ginkgo.It("lists pulled images in the Node's status", func(ctx context.Context) {
		// By repository: the kubelet lists at most five names per image,
		// and the test image's one digest is served under three
		// repositories (public, pull, private), each with a tag and a
		// digest name, so which five it shows depends on what other specs
		// pulled before.
		want := []string{images.Repository(suiteImage(images.BusyboxName)), images.Repository(suiteImage(images.TestName))}
		gomega.Eventually(ctx, func(ctx context.Context) ([]string, error) {
			n, err := env.client.CoreV1().Nodes().Get(ctx, env.info.NodeName, metaGet)
			if err != nil {
				return nil, err
			}
			var repos []string
			for _, img := range n.Status.Images {
				for _, name := range img.Names {
					repos = append(repos, images.Repository(name))
				}
			}
			return repos, nil
		}).WithTimeout(time.Minute).WithPolling(time.Second).Should(gomega.ContainElements(want))
	})
})

var _ = ginkgo.Describe("The test image", ginkgo.Label("NodeConformance"), func() {
	ginkgo.It("serves HTTP on the pod IP: hostname, environment, echo and a shell-free exec", func(ctx context.Context) {
		ns := createNamespace(ctx, "testimage")
		name := uniqueName("web")
		pod := testImagePod(name, "serve", "--port=8080")
		pod.Spec.Containers[0].Env = []v1.EnvVar{{Name: "GREETING", Value: "hello from the pod"}}
		createPod(ctx, ns, pod)
		p := awaitPodPhase(ctx, ns, name, v1.PodRunning, 2*time.Minute)
		base := "http://" + net.JoinHostPort(p.Status.PodIP, "8080")
		gomega.Eventually(ctx, func() (string, error) { return httpGet(base + "/healthz") }).WithTimeout(30 * time.Second).Should(gomega.Equal("ok"))

		host, err := httpGet(base + "/hostname")
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		gomega.Expect(host).To(gomega.Equal(name))
		envText, err := httpGet(base + "/env")
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		gomega.Expect(strings.Split(envText, "\n")).To(gomega.ContainElement("GREETING=hello from the pod"))
		echo, err := httpGet(base + "/echo?msg=node-e2e")
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		gomega.Expect(echo).To(gomega.Equal("node-e2e"))
		out, err := httpGet(base + "/exec?cmd=/testimage&arg=exit&arg=--code=0")
		gomega.Expect(err).NotTo(gomega.HaveOccurred(), "exec output %q", out)
		// Every request is logged, for specs that count hits.
		awaitLogs(ctx, ns, name, "main", 30*time.Second).Should(gomega.ContainSubstring("path=/echo"))
		gomega.Expect(slices.Contains(strings.Fields(podLogs(ctx, ns, name, "main", false)), "path=/hostname")).To(gomega.BeTrue())
	})
})
