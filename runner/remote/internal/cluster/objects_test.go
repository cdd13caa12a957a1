package cluster

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const testDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func testRun() Run {
	return Run{
		ID:            "r20261130a",
		SuiteImage:    "registry.example:5000/node-e2e/suite@" + testDigest,
		ImageRegistry: "registry.example:5000/node-e2e",
		Nodes:         []string{"node-a", "node-b.example.com"},
		Replicas:      2,
		Timeout:       45 * time.Minute,
		GinkgoArgs:    []string{"--focus=Pods", "--procs=2"},
		TestArgs:      []string{"--prepull-images=false"},
		Created:       time.Date(2026, 11, 30, 4, 5, 6, 0, time.UTC),
		TTL:           30 * time.Minute,
		Selection:     `{"focus":"Pods"}`,
	}
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the rendering (go test -update rewrites it after review); got:\n%s", p, got)
	}
}

func TestObjectsGolden(t *testing.T) {
	for _, c := range []struct {
		file string
		run  func(Run) Run
	}{
		{"run-job.yaml", func(r Run) Run { return r }},
		{"run-pod.yaml", func(r Run) Run {
			r.Workload = WorkloadPod
			r.Replicas = 1
			r.Nodes = r.Nodes[:1]
			r.RegistryCredentials = "u:p"
			return r
		}},
	} {
		t.Run(c.file, func(t *testing.T) {
			objs, err := c.run(testRun()).Objects()
			if err != nil {
				t.Fatal(err)
			}
			b, err := Manifest(objs)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, c.file, b)
		})
	}
}

// TestEveryObjectIsLabelled checks what reap and attach rely on: every
// object carries the run id and managed-by, and every suite pod template
// its node, replica and the sync label.
func TestEveryObjectIsLabelled(t *testing.T) {
	for _, w := range []Workload{WorkloadJob, WorkloadPod} {
		r := testRun()
		r.Workload = w
		objs, err := r.Objects()
		if err != nil {
			t.Fatal(err)
		}
		if want := 4 + len(r.Members()); len(objs) != want {
			t.Fatalf("%s: %d objects, want %d", w, len(objs), want)
		}
		members := 0
		for _, o := range objs {
			meta := o.(metav1.Object)
			l := meta.GetLabels()
			if l[LabelRunID] != r.ID || l[LabelManagedBy] != ManagedBy {
				t.Errorf("%s %T %s: labels %v lack the run id or managed-by", w, o, meta.GetName(), l)
			}
			var podLabels map[string]string
			var spec *corev1.PodSpec
			switch o := o.(type) {
			case *batchv1.Job:
				podLabels, spec = o.Spec.Template.Labels, &o.Spec.Template.Spec
				if *o.Spec.BackoffLimit != 0 || *o.Spec.Completions != 1 || *o.Spec.ActiveDeadlineSeconds != 45*60 {
					t.Errorf("job %s: backoffLimit %d completions %d deadline %d", o.Name, *o.Spec.BackoffLimit, *o.Spec.Completions, *o.Spec.ActiveDeadlineSeconds)
				}
			case *corev1.Pod:
				podLabels, spec = o.Labels, &o.Spec
				if *o.Spec.ActiveDeadlineSeconds != 45*60 {
					t.Errorf("pod %s: deadline %d", o.Name, *o.Spec.ActiveDeadlineSeconds)
				}
			default:
				continue
			}
			members++
			if podLabels[LabelSync] != r.ID || podLabels[LabelNode] != spec.NodeName || podLabels[LabelReplica] == "" || podLabels[LabelRunID] != r.ID {
				t.Errorf("%s %s: pod labels %v", w, meta.GetName(), podLabels)
			}
			if !spec.HostNetwork || !spec.HostPID || !*spec.Containers[0].SecurityContext.Privileged {
				t.Errorf("%s %s: not host network, host PID and privileged", w, meta.GetName())
			}
			args := strings.Join(spec.Containers[0].Args, " ")
			if !strings.Contains(args, "--node-name="+spec.NodeName) || !strings.Contains(args, "-- --start-services=false") {
				t.Errorf("%s %s: args %q", w, meta.GetName(), args)
			}
		}
		if members != len(r.Members()) {
			t.Errorf("%s: %d suite workloads, want %d", w, members, len(r.Members()))
		}
	}
}

func TestNamesAreUniqueAndShort(t *testing.T) {
	long := strings.Repeat("n", 60) + ".example.com"
	names := map[string]bool{}
	for _, m := range []Member{{"a", 0}, {"a", 1}, {"a.b", 0}, {long, 0}, {long, 12}, {strings.Repeat("n", 61) + ".example.com", 0}} {
		n := workloadName(m)
		if len(n) > maxNameLen || names[n] {
			t.Errorf("workloadName(%v) = %q: too long or not unique", m, n)
		}
		names[n] = true
	}
}

func TestValidateNamesTheField(t *testing.T) {
	for _, c := range []struct {
		edit func(*Run)
		want string
	}{
		{func(r *Run) { r.ID = "" }, "run id"},
		{func(r *Run) { r.ID = "Bad_ID" }, "run id"},
		{func(r *Run) { r.SuiteImage = "registry.example:5000/suite:latest" }, "by digest"},
		{func(r *Run) { r.ImageRegistry = "" }, "image registry"},
		{func(r *Run) { r.Nodes = nil }, "no node"},
		{func(r *Run) { r.Nodes = []string{"a", "a"} }, "listed twice"},
		{func(r *Run) { r.Nodes = []string{strings.Repeat("a", 70)} }, "label value"},
		{func(r *Run) { r.Replicas = -1 }, "replicas"},
		{func(r *Run) { r.Timeout = time.Millisecond }, "timeout"},
		{func(r *Run) { r.Workload = "daemonset" }, "workload"},
		{func(r *Run) { r.RegistryCredentials = "nocolon" }, "user:password"},
	} {
		r := testRun()
		c.edit(&r)
		_, err := r.Objects()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Objects() = %v, want an error naming %q", err, c.want)
		}
	}
}
