package cluster

import (
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Paths inside the suite image (images.Suite) and the suite container.
const (
	suiteBinary  = "/usr/local/bin/e2e_node.test"
	ginkgoBinary = "/usr/local/bin/ginkgo"
	startDir     = "/etc/node-e2e"
	// StartFile is the downward API file holding AnnotationStart.
	StartFile     = startDir + "/start"
	tokenDir      = "/var/run/secrets/kubernetes.io/serviceaccount"
	hostRootMount = "/rootfs"
	reportDir     = "/report"
)

// entrypoint is the suite container's shell script (busybox sh): wait for
// the start signal in StartFile, polling the local file every 50 ms (the
// kubelet rewrites it within a sync of the annotated pod), then run ginkgo
// with the script's arguments and the API server's URL (from the
// kubernetes Service's environment variables unless NODE_E2E_API_SERVER
// is set).
const entrypoint = `set -u
while :; do
  s=$(cat ` + StartFile + ` 2>/dev/null || true)
  [ -n "$s" ] && break
  sleep 0.05
done
if [ "$s" = ` + AbortValue + ` ]; then echo "node-e2e: run aborted before the start signal"; exit 3; fi
echo "node-e2e: start signal $s seen at $(` + nowSeconds + `)"
api="${NODE_E2E_API_SERVER:-}"
if [ -z "$api" ]; then
  h="$KUBERNETES_SERVICE_HOST"
  case "$h" in *:*) h="[$h]";; esac
  api="https://$h:$KUBERNETES_SERVICE_PORT"
fi
exec ` + ginkgoBinary + ` "$@" "--host=$api"
`

// nowSeconds prints the wall clock as seconds since the epoch with
// microseconds (busybox date has no %N; adjtimex reads the clock).
const nowSeconds = `adjtimex | awk '/tv_sec/{s=$2} /tv_usec/{u=$2} END{printf "%d.%06d", s, u}'`

// suiteArgs are the entrypoint's arguments for m: ginkgo's flags, the
// binary, then the suite's flags (the script appends --host).
func (r Run) suiteArgs(m Member) []string {
	args := append([]string{}, r.GinkgoArgs...)
	args = append(args, suiteBinary, "--",
		"--start-services=false",
		"--node-name="+m.Node,
		"--image-registry="+r.ImageRegistry,
		"--container-runtime-endpoint="+r.RuntimeEndpoint,
		"--host-ca-file="+tokenDir+"/ca.crt",
		"--bearer-token-file="+tokenDir+"/token",
		"--report-dir="+reportDir,
		"--spec-namespace-labels="+LabelRunID+"="+r.ID)
	args = append(args, r.registryArgs()...)
	return append(args, r.TestArgs...)
}

// tokenSeconds is the projected token's lifetime: the run's timeout and
// ten minutes, at least an hour (the API server's minimum is 10 minutes).
func (r Run) tokenSeconds() int64 {
	return int64(max(r.Timeout+10*time.Minute, time.Hour) / time.Second)
}

func hostPath(name, path string, t corev1.HostPathType) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: path, Type: &t}}}
}

// podSpec is m's pod: on m.Node (no scheduler needed), with the host's
// network and PID namespace, privileged, the host root at /rootfs and the
// host's /run, /sys, /var/lib/kubelet and /var/log at their own paths (so
// the runtime socket and the paths the kubelet reports resolve). The
// mounts are private: HostToContainer propagation needs the host's / to be
// a shared or slave mount, which a host without systemd does not make it
// (the runtime then refuses the container: "path / is mounted on / but it
// is not a shared or slave mount").
func (r Run) podSpec(m Member) corev1.PodSpec {
	yes, no := true, false
	tokenSeconds := r.tokenSeconds()
	grace := int64(30)
	spec := corev1.PodSpec{
		NodeName:                      m.Node,
		HostNetwork:                   true,
		HostPID:                       true,
		DNSPolicy:                     corev1.DNSClusterFirstWithHostNet,
		RestartPolicy:                 corev1.RestartPolicyNever,
		ServiceAccountName:            serviceAccountName,
		AutomountServiceAccountToken:  &no,
		TerminationGracePeriodSeconds: &grace,
		Tolerations:                   []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
		Containers: []corev1.Container{{
			Name:    "suite",
			Image:   r.SuiteImage,
			Command: []string{"/bin/sh", "-c", entrypoint, "node-e2e-suite"},
			Args:    r.suiteArgs(m),
			Env: []corev1.EnvVar{
				{Name: "NODE_E2E_RUN_ID", Value: r.ID},
				{Name: "NODE_E2E_MEMBER", Value: m.String()},
			},
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse("100m"),
				corev1.ResourceMemory: resource.MustParse("256Mi"),
			}},
			SecurityContext: &corev1.SecurityContext{Privileged: &yes},
			VolumeMounts: []corev1.VolumeMount{
				{Name: "start", MountPath: startDir, ReadOnly: true},
				{Name: "token", MountPath: tokenDir, ReadOnly: true},
				{Name: "report", MountPath: reportDir},
				{Name: "host-root", MountPath: hostRootMount, ReadOnly: true},
				{Name: "host-run", MountPath: "/run"},
				{Name: "host-sys", MountPath: "/sys"},
				{Name: "host-kubelet", MountPath: "/var/lib/kubelet"},
				{Name: "host-log", MountPath: "/var/log"},
			},
			TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
			ImagePullPolicy:          corev1.PullIfNotPresent,
		}},
		Volumes: []corev1.Volume{
			{Name: "start", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{
				Items: []corev1.DownwardAPIVolumeFile{{Path: "start", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.annotations['" + AnnotationStart + "']"}}},
			}}},
			// What ServiceAccount admission would mount, explicitly and with
			// a lifetime that covers the run: the suite reads the token once.
			{Name: "token", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
				{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: &tokenSeconds}},
				{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"},
					Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
			}}}},
			{Name: "report", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			hostPath("host-root", "/", corev1.HostPathDirectory),
			hostPath("host-run", "/run", corev1.HostPathDirectory),
			hostPath("host-sys", "/sys", corev1.HostPathDirectory),
			hostPath("host-kubelet", "/var/lib/kubelet", corev1.HostPathDirectory),
			hostPath("host-log", "/var/log", corev1.HostPathDirectory),
		},
	}
	r.addRegistryCredentials(&spec)
	return spec
}

func (r Run) deadlineSeconds() *int64 {
	s := int64(r.Timeout / time.Second)
	return &s
}

// Job is m's batch/v1 Job: one pod, never retried, ended after Timeout.
func (r Run) Job(m Member) *batchv1.Job {
	r = r.Defaulted()
	one, zero := int32(1), int32(0)
	labels := memberLabels(r.ID, m)
	return &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: workloadName(m), Namespace: r.Namespace, Labels: labels},
		Spec: batchv1.JobSpec{
			Completions:           &one,
			Parallelism:           &one,
			BackoffLimit:          &zero,
			ActiveDeadlineSeconds: r.deadlineSeconds(),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: memberLabels(r.ID, m)},
				Spec:       r.podSpec(m),
			},
		},
	}
}

// Pod is m's bare pod (--workload=pod), with the same spec as the Job's
// and the timeout as its activeDeadlineSeconds.
func (r Run) Pod(m Member) *corev1.Pod {
	r = r.Defaulted()
	spec := r.podSpec(m)
	spec.ActiveDeadlineSeconds = r.deadlineSeconds()
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: workloadName(m), Namespace: r.Namespace, Labels: memberLabels(r.ID, m)},
		Spec:       spec,
	}
}
