// Package podcgroup tells the specs where the kubelet puts a pod's cgroup
// (for the cgroupfs and systemd drivers, under any cgroup root), so they
// can read its limits from /sys/fs/cgroup. Only the specs use it.
package podcgroup
