package e2e_node

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/node-e2e/harness/e2e_node/nodefacts"
)

var _ = ginkgo.Describe("Volume cleanup", ginkgo.Label("NodeConformance"), func() {
	ginkgo.It("removes a deleted pod's volumes and directory from the kubelet's root", func(ctx context.Context) {
		needFact(env.info.KubeletRootDir, nodefacts.KubeletRootDir)
		ns := createNamespace(ctx, "volclean")
		_, err := env.client.CoreV1().Secrets(ns).Create(ctx, &v1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s"}, StringData: map[string]string{"k": "v"}}, metav1.CreateOptions{})
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		name := uniqueName("vols")
		pod := busyboxPod(name, "sleep", "3600")
		mountVolume(pod, v1.Volume{Name: "scratch", VolumeSource: v1.VolumeSource{EmptyDir: &v1.EmptyDirVolumeSource{Medium: v1.StorageMediumMemory}}}, "/scratch")
		mountVolume(pod, v1.Volume{Name: "secret", VolumeSource: v1.VolumeSource{Secret: &v1.SecretVolumeSource{SecretName: "s"}}}, "/secret")
		created := createPod(ctx, ns, pod)
		awaitPodPhase(ctx, ns, name, v1.PodRunning, 2*time.Minute)
		podDir := filepath.Join(env.info.KubeletRootDir, "pods", string(created.UID))
		for _, d := range []string{"volumes/kubernetes.io~empty-dir/scratch", "volumes/kubernetes.io~secret/secret"} {
			_, err := os.Stat(filepath.Join(podDir, d))
			gomega.Expect(err).NotTo(gomega.HaveOccurred(), "volume dir %s of the running pod", d)
		}
		deletePodAndWait(ctx, ns, name)
		gomega.Eventually(func() bool {
			_, err := os.Stat(podDir)
			return os.IsNotExist(err)
		}).WithTimeout(2*time.Minute).WithPolling(time.Second).Should(gomega.BeTrue(), "the kubelet must unmount and remove %s", podDir)
	})
})
