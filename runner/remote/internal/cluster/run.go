package cluster

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Workload is what runs the suite on a node.
type Workload string

const (
	// WorkloadJob is a batch/v1 Job per member (the default).
	WorkloadJob Workload = "job"
	// WorkloadPod is a bare pod per member, for clusters without a Job
	// controller.
	WorkloadPod Workload = "pod"
)

// Run describes one cluster-mode run: what the rendering functions need.
type Run struct {
	// ID is the run id: a DNS label of at most 40 characters. Required.
	ID string
	// Namespace holds the run's objects. Default "node-e2e-<ID>".
	Namespace string
	// SuiteImage is the suite image by digest (host/repo@sha256:...).
	// Required.
	SuiteImage string
	// ImageRegistry is passed to the suite as --image-registry: where it
	// pushes its spec images and the node pulls them. Required.
	ImageRegistry string
	// Nodes are the nodes to test. Required.
	Nodes []string
	// Replicas is the number of suite pods per node. Default 1.
	Replicas int
	// Timeout is the Job's activeDeadlineSeconds (and the pod's). Default 1h.
	Timeout time.Duration
	// Workload is job or pod. Default job.
	Workload Workload
	// RuntimeEndpoint is the node's CRI socket, passed to the suite.
	// Default unix:///run/containerd/containerd.sock (/run is the host's).
	RuntimeEndpoint string
	// GinkgoArgs go to ginkgo before the binary (--focus=..., --procs=N).
	GinkgoArgs []string
	// TestArgs go to e2e_node.test after the harness's own.
	TestArgs []string
	// Created is when the run was submitted (AnnotationCreated). Zero
	// leaves the time annotations off (rendering without a clock).
	Created time.Time
	// TTL is how long the run may outlive its timeout before the janitor
	// or reap --expired deletes it: it expires at Created + Timeout + TTL
	// (AnnotationExpires). Default 1h.
	TTL time.Duration
	// APIServer is the URL the suite reaches the API server at, from the
	// node's network. Default "": the kubernetes Service
	// (https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT).
	APIServer string
	// RegistryCredentials is "user:password" for ImageRegistry, given to
	// the suite (it pushes its spec images there) through a Secret in the
	// run namespace. Default none: an anonymous registry.
	RegistryCredentials string
	// SuiteCPU is each suite pod's CPU request (--suite-cpu-request).
	// Default 100m. The kubelet admits a pod only if it fits the node's
	// allocatable CPU: a request the node cannot give is rejected
	// (OutOfcpu), and the barrier then starts no pod.
	SuiteCPU string
	// Selection describes the specs selected, for display (JSON of focus,
	// skip and label filter; AnnotationSelection). Default none.
	Selection string
}

// Defaulted returns r with the documented defaults filled in.
func (r Run) Defaulted() Run {
	if r.Namespace == "" && r.ID != "" {
		r.Namespace = "node-e2e-" + r.ID
	}
	if r.Replicas == 0 {
		r.Replicas = 1
	}
	if r.Timeout == 0 {
		r.Timeout = time.Hour
	}
	if r.Workload == "" {
		r.Workload = WorkloadJob
	}
	if r.TTL == 0 {
		r.TTL = time.Hour
	}
	if r.SuiteCPU == "" {
		r.SuiteCPU = "100m"
	}
	if r.RuntimeEndpoint == "" {
		r.RuntimeEndpoint = "unix:///run/containerd/containerd.sock"
	}
	return r
}

// Validate reports the first field of r (defaulted) that cannot be
// rendered, naming it.
func (r Run) Validate() error {
	r = r.Defaulted()
	if errs := validation.IsDNS1123Label(r.ID); r.ID == "" || len(errs) > 0 || len(r.ID) > 40 {
		return fmt.Errorf("cluster: run id %q must be a DNS label of at most 40 characters", r.ID)
	}
	if errs := validation.IsDNS1123Label(r.Namespace); len(errs) > 0 {
		return fmt.Errorf("cluster: namespace %q: %s", r.Namespace, strings.Join(errs, "; "))
	}
	if !strings.Contains(r.SuiteImage, "@sha256:") {
		return fmt.Errorf("cluster: suite image %q must be referenced by digest (host/repo@sha256:...)", r.SuiteImage)
	}
	if q, err := resource.ParseQuantity(r.SuiteCPU); err != nil || q.Sign() <= 0 {
		return fmt.Errorf("cluster: suite CPU request %q must be a positive quantity (100m, 2)", r.SuiteCPU)
	}
	if r.ImageRegistry == "" {
		return errors.New("cluster: the image registry (--image-registry of the suite) is empty")
	}
	if len(r.Nodes) == 0 {
		return errors.New("cluster: no node to test")
	}
	seen := map[string]bool{}
	for _, n := range r.Nodes {
		if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 {
			return fmt.Errorf("cluster: node name %q: %s", n, strings.Join(errs, "; "))
		}
		if err := checkLabelValue("cluster: node name", n); err != nil {
			return err
		}
		if seen[n] {
			return fmt.Errorf("cluster: node %q is listed twice", n)
		}
		seen[n] = true
	}
	if r.Replicas < 1 {
		return fmt.Errorf("cluster: replicas per node %d must be at least 1", r.Replicas)
	}
	if r.Timeout < time.Second {
		return fmt.Errorf("cluster: timeout %v must be at least 1s", r.Timeout)
	}
	if c := r.RegistryCredentials; c != "" {
		if u, p, ok := strings.Cut(c, ":"); !ok || u == "" || p == "" || strings.ContainsAny(c, "\n") {
			return errors.New("cluster: registry credentials must be one line user:password")
		}
	}
	if r.TTL < 0 {
		return fmt.Errorf("cluster: ttl %v must not be negative", r.TTL)
	}
	if r.Workload != WorkloadJob && r.Workload != WorkloadPod {
		return fmt.Errorf("cluster: workload %q must be job or pod", r.Workload)
	}
	return nil
}

// Members lists every suite pod of r, by node then replica.
func (r Run) Members() []Member {
	r = r.Defaulted()
	var out []Member
	for _, n := range r.Nodes {
		for i := range r.Replicas {
			out = append(out, Member{Node: n, Replica: i})
		}
	}
	return out
}

// Objects renders every object of r, in creation order: namespace,
// ServiceAccount, the registry credentials' Secret (with credentials),
// ClusterRole, ClusterRoleBinding, then a Job (or Pod) per member.
func (r Run) Objects() ([]runtime.Object, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	r = r.Defaulted()
	objs := []runtime.Object{r.NamespaceObject(), r.ServiceAccount()}
	if s := r.RegistrySecret(); s != nil {
		objs = append(objs, s)
	}
	objs = append(objs, r.ClusterRole(), r.ClusterRoleBinding())
	for _, m := range r.Members() {
		if r.Workload == WorkloadPod {
			objs = append(objs, r.Pod(m))
		} else {
			objs = append(objs, r.Job(m))
		}
	}
	return objs, nil
}
