package e2e_node

import (
	"context"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/node-e2e/harness/internal/host"
)

// mountVolume adds volume to pod, mounted at path in its first container.
func mountVolume(pod *v1.Pod, vol v1.Volume, path string) {
	pod.Spec.Volumes = append(pod.Spec.Volumes, vol)
	c := &pod.Spec.Containers[0]
	c.VolumeMounts = append(c.VolumeMounts, v1.VolumeMount{Name: vol.Name, MountPath: path})
}

var _ = ginkgo.Describe("ConfigMap, Secret and projected volumes", ginkgo.Label("NodeConformance"), func() {
	var ns string
	ginkgo.BeforeEach(func(ctx context.Context) { ns = createNamespace(ctx, "cfgvol") })

	ginkgo.It("mounts ConfigMap and Secret keys as files with the requested modes", func(ctx context.Context) {
		cm, err := env.client.CoreV1().ConfigMaps(ns).Create(ctx, &v1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm"}, Data: map[string]string{"color": "blue"}}, metav1.CreateOptions{})
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		sec, err := env.client.CoreV1().Secrets(ns).Create(ctx, &v1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "sec"}, Data: map[string][]byte{"password": []byte("s3cret")}}, metav1.CreateOptions{})
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		pod := busyboxPod(uniqueName("cmsec"), "sh", "-c", "cat /cm/color; echo; cat /sec/password; echo; stat -L -c %a /cm/color /sec/password")
		mountVolume(pod, v1.Volume{Name: "cm", VolumeSource: v1.VolumeSource{ConfigMap: &v1.ConfigMapVolumeSource{LocalObjectReference: v1.LocalObjectReference{Name: cm.Name}, DefaultMode: ptr.To[int32](0o640)}}}, "/cm")
		mountVolume(pod, v1.Volume{Name: "sec", VolumeSource: v1.VolumeSource{Secret: &v1.SecretVolumeSource{SecretName: sec.Name, DefaultMode: ptr.To[int32](0o400)}}}, "/sec")
		out := runToCompletion(ctx, ns, pod)
		gomega.Expect(strings.Fields(out)).To(gomega.Equal([]string{"blue", "s3cret", "640", "400"}))
	})

	ginkgo.It("delivers a ConfigMap update to a running pod", ginkgo.SpecPriority(1), func(ctx context.Context) {
		cm, err := env.client.CoreV1().ConfigMaps(ns).Create(ctx, &v1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "live"}, Data: map[string]string{"value": "v1"}}, metav1.CreateOptions{})
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		name := uniqueName("cmupdate")
		pod := busyboxPod(name, "sh", "-c", "while true; do echo value=$(cat /cm/value); sleep 1; done")
		mountVolume(pod, v1.Volume{Name: "cm", VolumeSource: v1.VolumeSource{ConfigMap: &v1.ConfigMapVolumeSource{LocalObjectReference: v1.LocalObjectReference{Name: cm.Name}}}}, "/cm")
		createPod(ctx, ns, pod)
		awaitPodPhase(ctx, ns, name, v1.PodRunning, 2*time.Minute)
		awaitLogs(ctx, ns, name, "main", time.Minute).Should(gomega.ContainSubstring("value=v1"))
		cm.Data["value"] = "v2"
		_, err = env.client.CoreV1().ConfigMaps(ns).Update(ctx, cm, metaUpdate)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		awaitLogs(ctx, ns, name, "main", 3*time.Minute).Should(gomega.ContainSubstring("value=v2"), "the kubelet must update a mounted ConfigMap")
	})

	ginkgo.It("projects a ConfigMap, a Secret and the downward API into one directory", func(ctx context.Context) {
		_, err := env.client.CoreV1().ConfigMaps(ns).Create(ctx, &v1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "pcm"}, Data: map[string]string{"a": "from-cm"}}, metav1.CreateOptions{})
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		_, err = env.client.CoreV1().Secrets(ns).Create(ctx, &v1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "psec"}, StringData: map[string]string{"b": "from-secret"}}, metav1.CreateOptions{})
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		name := uniqueName("projected")
		pod := busyboxPod(name, "sh", "-c", "cat /p/a; echo; cat /p/b; echo; cat /p/name")
		mountVolume(pod, v1.Volume{Name: "p", VolumeSource: v1.VolumeSource{Projected: &v1.ProjectedVolumeSource{Sources: []v1.VolumeProjection{
			{ConfigMap: &v1.ConfigMapProjection{LocalObjectReference: v1.LocalObjectReference{Name: "pcm"}}},
			{Secret: &v1.SecretProjection{LocalObjectReference: v1.LocalObjectReference{Name: "psec"}}},
			{DownwardAPI: &v1.DownwardAPIProjection{Items: []v1.DownwardAPIVolumeFile{{Path: "name", FieldRef: &v1.ObjectFieldSelector{FieldPath: "metadata.name"}}}}},
		}}}}, "/p")
		gomega.Expect(strings.Fields(runToCompletion(ctx, ns, pod))).To(gomega.Equal([]string{"from-cm", "from-secret", name}))
	})
})

var _ = ginkgo.Describe("emptyDir and hostPath volumes", ginkgo.Label("NodeConformance"), func() {
	var ns string
	ginkgo.BeforeEach(func(ctx context.Context) { ns = createNamespace(ctx, "emptydir") })

	ginkgo.It("shares a disk emptyDir between containers", func(ctx context.Context) {
		name := uniqueName("shared")
		pod := busyboxPod(name, "sh", "-c", "echo from-writer > /data/msg; sleep 3600")
		mountVolume(pod, emptyDir("data"), "/data")
		reader := pod.Spec.Containers[0]
		reader.Name = "reader"
		reader.Command = []string{"sh", "-c", "until [ -e /data/msg ]; do sleep 0.2; done; cat /data/msg; sleep 3600"}
		pod.Spec.Containers = append(pod.Spec.Containers, reader)
		createPod(ctx, ns, pod)
		awaitPodPhase(ctx, ns, name, v1.PodRunning, 2*time.Minute)
		awaitLogs(ctx, ns, name, "reader", time.Minute).Should(gomega.Equal("from-writer\n"))
	})

	ginkgo.It("backs a Memory emptyDir with tmpfs and a disk emptyDir with the kubelet root dir's filesystem", func(ctx context.Context) {
		// A disk emptyDir is a directory under the kubelet's root dir, not
		// a mount of its own: on the filesystem that holds the root dir
		// (tmpfs too, where the node keeps it there, as systemd-sandbox's
		// /tmp does).
		diskFS := "" // unknown: a weaker check below, rather than a skip
		if dir := env.info.KubeletRootDir; dir != "" {
			fs, err := host.FSTypeOf(dir)
			gomega.Expect(err).NotTo(gomega.HaveOccurred(), "filesystem of the kubelet root dir")
			diskFS = fs
		}
		pod := busyboxPod(uniqueName("medium"), "sh", "-c", "grep -E ' /mem | /disk ' /proc/mounts | awk '{print $2, $3}' | sort; stat -c %a /disk /mem")
		mountVolume(pod, v1.Volume{Name: "mem", VolumeSource: v1.VolumeSource{EmptyDir: &v1.EmptyDirVolumeSource{Medium: v1.StorageMediumMemory}}}, "/mem")
		mountVolume(pod, emptyDir("disk"), "/disk")
		out := runToCompletion(ctx, ns, pod)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		gomega.Expect(lines).To(gomega.HaveLen(4), out)
		if diskFS == "" {
			gomega.Expect(lines[0]).NotTo(gomega.HaveSuffix("tmpfs"), "disk emptyDir: %s", lines[0])
		} else {
			gomega.Expect(lines[0]).To(gomega.Equal("/disk "+diskFS), "disk emptyDir on the kubelet root dir's filesystem")
		}
		gomega.Expect(lines[1]).To(gomega.Equal("/mem tmpfs"))
		gomega.Expect(lines[2]).To(gomega.Equal("777"), "a disk emptyDir is world-writable")
		gomega.Expect(lines[3]).To(gomega.Equal("1777"), "a tmpfs emptyDir is world-writable and sticky")
	})

	ginkgo.It("mounts a hostPath directory the node can read back", func(ctx context.Context) {
		hostDir := ginkgo.GinkgoT().TempDir()
		pod := busyboxPod(uniqueName("hostpath"), "sh", "-c", "echo written-by-pod > /host/out")
		mountVolume(pod, v1.Volume{Name: "host", VolumeSource: v1.VolumeSource{HostPath: &v1.HostPathVolumeSource{Path: hostDir, Type: ptr.To(v1.HostPathDirectory)}}}, "/host")
		runToCompletion(ctx, ns, pod)
		b, err := readFile(hostDir + "/out")
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		gomega.Expect(b).To(gomega.Equal("written-by-pod\n"))
	})
})
