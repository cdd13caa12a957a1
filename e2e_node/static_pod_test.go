package e2e_node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/node-e2e/harness/e2e_node/nodefacts"
)

var _ = ginkgo.Describe("Static pods", ginkgo.Label("NodeConformance"), func() {
	ginkgo.It("get a mirror pod in the API while their manifest is in the static pod directory, updated with the manifest", ginkgo.SpecPriority(1), func(ctx context.Context) {
		needFact(env.info.StaticPodDir, nodefacts.StaticPodPath)
		ns := createNamespace(ctx, "static")
		name := uniqueName("static")
		pod := busyboxPod(name, "sleep", "3600")
		pod.Namespace = ns
		pod.Spec.NodeName = ""
		pod.TypeMeta = metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"}
		manifest := filepath.Join(env.info.StaticPodDir, ns+"-"+name+".yaml")
		write := func(pod *v1.Pod) {
			b, err := yaml.Marshal(pod)
			gomega.Expect(err).NotTo(gomega.HaveOccurred())
			// Written under a hidden name (which the kubelet ignores) and
			// renamed, so the kubelet never reads a half-written manifest.
			tmp := filepath.Join(env.info.StaticPodDir, "."+ns+"-"+name+".tmp")
			gomega.Expect(os.WriteFile(tmp, b, 0o644)).To(gomega.Succeed())
			gomega.Expect(os.Rename(tmp, manifest)).To(gomega.Succeed())
		}
		write(pod)
		ginkgo.DeferCleanup(func() { _ = os.Remove(manifest) })

		// The kubelet names the mirror pod <name>-<node name>.
		mirror := name + "-" + env.info.NodeName
		p := awaitPod(ctx, ns, mirror, 2*time.Minute, "a Running mirror pod", func(p *v1.Pod) bool {
			return p.Status.Phase == v1.PodRunning
		})
		gomega.Expect(p.Annotations).To(gomega.HaveKey("kubernetes.io/config.mirror"), "a mirror pod carries the config.mirror annotation")
		gomega.Expect(p.Spec.NodeName).To(gomega.Equal(env.info.NodeName))

		// An edited manifest replaces the static pod; the mirror follows.
		pod.Labels = map[string]string{"revision": "2"}
		pod.Spec.Containers[0].Command = []string{"sh", "-c", "echo revision 2; exec sleep 3600"}
		write(pod)
		updated := awaitPod(ctx, ns, mirror, 2*time.Minute, "the edited manifest's mirror pod Running", func(np *v1.Pod) bool {
			return np.Labels["revision"] == "2" && np.Status.Phase == v1.PodRunning
		})
		gomega.Expect(updated.Annotations["kubernetes.io/config.hash"]).NotTo(gomega.Equal(p.Annotations["kubernetes.io/config.hash"]), "a new manifest has a new config hash")
		awaitLogs(ctx, ns, mirror, "main", time.Minute).Should(gomega.Equal("revision 2\n"))

		gomega.Expect(os.Remove(manifest)).To(gomega.Succeed())
		gomega.Eventually(ctx, func(ctx context.Context) bool {
			_, err := env.client.CoreV1().Pods(ns).Get(ctx, mirror, metav1.GetOptions{})
			return apierrors.IsNotFound(err)
		}).WithTimeout(2*time.Minute).Should(gomega.BeTrue(), fmt.Sprintf("mirror pod %s/%s still exists after its manifest was removed", ns, mirror))
	})
})
