package cluster

import (
	"strconv"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Paths inside the suite image (images.Suite) and the suite container.
const (
	suiteBinary   = "/usr/local/bin/e2e_node.test"
	ginkgoBinary  = "/usr/local/bin/ginkgo"
	tokenDir      = "/var/run/secrets/kubernetes.io/serviceaccount"
	hostRootMount = "/rootfs"
	reportDir     = "/report"
	// runsMount is where the suite container mounts NodeRunsDir.
	runsMount      = "/node-e2e-runs"
	terminationLog = "/dev/termination-log"
)

// NodeRunsDir is the directory on each node holding the runs' report
// directories, NodeRunsDir/<run id>/<node>-<replica>. It is under
// /var/log so that the kubelet's log handler serves it (see Collect).
const NodeRunsDir = "/var/log/node-e2e"

// ReportDir is m's report directory on its node: the suite container's
// /report.
func (r Run) ReportDir(m Member) string {
	return NodeRunsDir + "/" + r.reportSubPath(m)
}

// reportSubPath is m's report directory under NodeRunsDir.
func (r Run) reportSubPath(m Member) string {
	return r.ID + "/" + m.Node + "-" + strconv.Itoa(m.Replica)
}

// entrypoint is the suite container's shell script (busybox sh). Before
// the start signal it records when the run expires (NODE_E2E_EXPIRES,
// seconds since the epoch) in its run directory on the node and removes
// the directories of other runs whose expiry has passed. Then it waits for
// the start signal through the API server: e2e_node.test --await-start
// watches the pod itself (NODE_E2E_POD_NAMESPACE/NODE_E2E_POD_NAME, from
// the downward API), marks it AnnotationWaiting once its watch is open
// (the barrier counts the pod only then), and exits 0 printing
// "node-e2e: start signal <release> seen at <epoch.µs>" when
// AnnotationStart is set, or 3 on AbortValue (the entrypoint then exits
// with its status). The API server's URL is NODE_E2E_API_SERVER, or the
// kubernetes Service's environment variables. Then it runs ginkgo in a
// session of its own with the script's arguments and that URL, its output
// teed into reportDir/ginkgo.log. A SIGTERM or SIGINT (the pod's deletion, its
// deadline, an eviction) is passed to ginkgo's process group as one
// SIGTERM: Ginkgo interrupts the specs and writes its reports. When ginkgo
// ends, the script tars the report directory into reportDir/report.tar.gz
// (see reportTail) and exits with ginkgo's status.
const entrypoint = `set -u
` + entrypointPaths + `
now=$(date +%s)
mkdir -p "$runs/$NODE_E2E_RUN_ID"
if [ -n "${NODE_E2E_EXPIRES:-}" ]; then echo "$NODE_E2E_EXPIRES" >"$runs/$NODE_E2E_RUN_ID/expires"; fi
for d in "$runs"/*/; do
  id=${d%/}; id=${id##*/}
  [ "$id" = "$NODE_E2E_RUN_ID" ] && continue
  e=$(cat "$d/expires" 2>/dev/null) || continue
  case "$e" in ''|*[!0-9]*) continue;; esac
  if [ "$e" -lt "$now" ]; then rm -rf "$d" && echo "node-e2e: removed the report directories of run $id (expired at $e)"; fi
done
api="${NODE_E2E_API_SERVER:-}"
if [ -z "$api" ]; then
  h="$KUBERNETES_SERVICE_HOST"
  case "$h" in *:*) h="[$h]";; esac
  api="https://$h:$KUBERNETES_SERVICE_PORT"
fi
` + suiteBinary + ` "--await-start=$NODE_E2E_POD_NAMESPACE/$NODE_E2E_POD_NAME" "--host=$api" --bearer-token-file=` + tokenDir + `/token --host-ca-file=` + tokenDir + `/ca.crt </dev/null &
a=$!
trap 'kill -TERM $a 2>/dev/null' TERM INT
while :; do
  wait $a
  s=$?
  kill -0 $a 2>/dev/null || break
done
trap - TERM INT
if [ $s -ne 0 ]; then echo "node-e2e: not starting the suite (e2e_node.test --await-start exited $s)"; exit $s; fi
mkdir -p /tmp
fifo=/tmp/node-e2e-ginkgo.fifo
rm -f "$fifo" && mkfifo "$fifo" || exit 125
tee "$rd/ginkgo.log" <"$fifo" &
t=$!
setsid ` + ginkgoBinary + ` "$@" "--host=$api" >"$fifo" 2>&1 </dev/null &
g=$!
trap 'echo "node-e2e: SIGTERM: interrupting the suite"; kill -TERM -$g 2>/dev/null' TERM
trap 'echo "node-e2e: SIGINT: interrupting the suite"; kill -TERM -$g 2>/dev/null' INT
while :; do
  wait $g
  rc=$?
  kill -0 $g 2>/dev/null || break
done
kill -KILL -$g 2>/dev/null
wait $t
rm -f "$fifo"
` + reportTail

// entrypointPaths is the entrypoint's first line: the report directory,
// the termination message file and the runs directory (tests replace it).
const entrypointPaths = `rd=` + reportDir + ` tl=` + terminationLog + ` runs=` + runsMount

// reportTail ends the entrypoint once ginkgo's status is in rc: it writes
// reportDir/report.tar.gz (the report directory, ginkgo.log included),
// report.tar.gz.sha256 (sha256sum's format), and the pod's own summary as
// one line of JSON into terminationLog (the container's termination
// message, also echoed to the log): ginkgo's status, the tarball's
// SHA-256 and size, and the counts of Ginkgo's summary lines
//
//	Ran 3 of 80 Specs in 1.234 seconds
//	SUCCESS! -- 3 Passed | 0 Failed | 0 Pending | 77 Skipped
//
// ("FAIL! -- ..." or "FAIL! - Interrupted by User -- ..." when failed;
// the last such pair of the output, colours removed). The counts are left
// out when ginkgo printed no summary (a BeforeSuite failure, a crash).
// Then it exits with ginkgo's status.
const reportTail = `trap - TERM INT
counts=$(awk '
{ gsub(/\033\[[0-9;]*[A-Za-z]/, ""); sub(/\r$/, "") }
/^Ran [0-9]+ of [0-9]+ Specs in / { ran = $2; specs = $4; c = ""; seen = 1; next }
seen && c == "" && / Passed \| / && / Skipped/ { c = $0 }
END {
  if (c == "") exit
  n = split(c, w, " ")
  p = 0; f = 0; fl = 0; pe = 0; sk = 0
  for (i = 2; i <= n; i++) {
    if (w[i] == "Passed") p = w[i-1]
    if (w[i] == "Failed") f = w[i-1]
    if (w[i] == "Flaked") fl = w[i-1]
    if (w[i] == "Pending") pe = w[i-1]
    if (w[i] == "Skipped") sk = w[i-1]
  }
  printf ",\"ran\":%d,\"specs\":%d,\"passed\":%d,\"failed\":%d,\"flaked\":%d,\"pending\":%d,\"skipped\":%d", ran, specs, p, f, fl, pe, sk
}' "$rd/ginkgo.log" 2>/dev/null)
tgz=/tmp/node-e2e-report.tar.gz
sum= bytes=0 err=
if tar -czf "$tgz" -C "$rd" . && mv "$tgz" "$rd/report.tar.gz"; then
  sum=$(sha256sum "$rd/report.tar.gz" | cut -d' ' -f1)
  bytes=$(wc -c <"$rd/report.tar.gz")
  echo "$sum  report.tar.gz" >"$rd/report.tar.gz.sha256"
else
  err=',"error":"could not write report.tar.gz"'
fi
json=$(printf '{"exit":%d,"sha256":"%s","bytes":%d%s%s}' "$rc" "$sum" "$bytes" "$counts" "$err")
echo "$json" >"$tl"
echo "node-e2e: result $json"
exit $rc
`

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

// suiteEnv is the suite container's environment: the run id, the member,
// the pod's own namespace and name (the downward API: e2e_node.test
// --await-start watches the pod) and, when the run has a creation time, when it expires (seconds since
// the epoch: the entrypoint writes it into the run's directory on the
// node, where later runs read it to prune).
func (r Run) suiteEnv(m Member) []corev1.EnvVar {
	env := []corev1.EnvVar{
		{Name: "NODE_E2E_RUN_ID", Value: r.ID},
		{Name: "NODE_E2E_MEMBER", Value: m.String()},
		fieldEnv("NODE_E2E_POD_NAMESPACE", "metadata.namespace"),
		fieldEnv("NODE_E2E_POD_NAME", "metadata.name"),
	}
	if !r.Created.IsZero() {
		env = append(env, corev1.EnvVar{Name: "NODE_E2E_EXPIRES", Value: strconv.FormatInt(r.Expires().Unix(), 10)})
	}
	return env
}

func fieldEnv(name, path string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}}
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
// is not a shared or slave mount"). /report is the node's ReportDir(m), a
// subPath of NodeRunsDir (mounted at /node-e2e-runs): the kubelet creates
// it only when it starts the container, after the image is pulled, so a
// pod that never starts (an image that cannot be pulled, a rejection by
// the kubelet) leaves nothing of the run on the node. The termination message is the
// entrypoint's JSON summary, or the log's tail when the container failed
// before writing it (FallbackToLogsOnError).
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
			Env:     r.suiteEnv(m),
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceCPU:    r.cpuRequest(),
				corev1.ResourceMemory: resource.MustParse("256Mi"),
			}},
			SecurityContext: &corev1.SecurityContext{Privileged: &yes},
			VolumeMounts: []corev1.VolumeMount{
				{Name: "token", MountPath: tokenDir, ReadOnly: true},
				{Name: "runs", MountPath: reportDir, SubPath: r.reportSubPath(m)},
				{Name: "runs", MountPath: runsMount},
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
			// What ServiceAccount admission would mount, explicitly and with
			// a lifetime that covers the run: the suite reads the token once.
			{Name: "token", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
				{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: &tokenSeconds}},
				{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"},
					Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
			}}}},
			// The report directory (a subPath) is on the node, where the
			// kubelet's log handler serves it (Collect) after the pod, and
			// the runner, are gone; CleanNodes or a later run's entrypoint
			// removes it.
			hostPath("runs", NodeRunsDir, corev1.HostPathDirectoryOrCreate),
			hostPath("host-root", "/", corev1.HostPathDirectory),
			hostPath("host-run", "/run", corev1.HostPathDirectory),
			hostPath("host-sys", "/sys", corev1.HostPathDirectory),
			hostPath("host-kubelet", "/var/lib/kubelet", corev1.HostPathDirectory),
			hostPath("host-log", "/var/log", corev1.HostPathDirectory),
		},
	}
	r.addRunnerOptions(&spec)
	return spec
}

// cpuRequest is SuiteCPU (Validate checks it), 100m if it does not parse.
func (r Run) cpuRequest() resource.Quantity {
	q, err := resource.ParseQuantity(r.SuiteCPU)
	if err != nil {
		return resource.MustParse("100m")
	}
	return q
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
