package podcgroup

import (
	"path"
	"strings"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Dir is the cgroup directory of pod uid, of QoS class qos, in
// every hierarchy, below the kubelet's cgroup root rootDir (as
// services.CgroupRootDir gives it). The cgroupfs driver nests plain names:
//
//	/node-e2e-ab12/kubepods/burstable/pod<uid>
//
// The systemd driver nests slices, each named after the whole path, with
// the dashes inside a name (the pod UID's) escaped as underscores:
//
//	/node_e2e_ab12.slice/node_e2e_ab12-kubepods.slice/
//	  node_e2e_ab12-kubepods-burstable.slice/node_e2e_ab12-kubepods-burstable-pod<uid_>.slice
//
// Guaranteed pods sit directly under kubepods in both.
func Dir(rootDir string, systemdDriver bool, qos v1.PodQOSClass, uid types.UID) string {
	parts := []string{"kubepods"}
	switch qos {
	case v1.PodQOSBurstable:
		parts = append(parts, "burstable")
	case v1.PodQOSBestEffort:
		parts = append(parts, "besteffort")
	}
	pod := "pod" + string(uid)
	if !systemdDriver {
		return path.Join(append([]string{"/", rootDir}, append(parts, pod)...)...)
	}
	parts = append(parts, strings.ReplaceAll(pod, "-", "_"))
	dir := rootDir
	// Under the root slice ("/", -.slice) the kubelet's slices have no
	// prefix: kubepods.slice, kubepods-burstable.slice, ...
	prefix := strings.TrimSuffix(path.Base(rootDir), ".slice")
	for _, p := range parts {
		if prefix == "/" || prefix == "" || prefix == "-" {
			prefix = p
		} else {
			prefix += "-" + p
		}
		dir = path.Join(dir, prefix+".slice")
	}
	return dir
}
