package sandbox

import (
	"os"
	"path"
	"slices"
	"strings"
)

// TargetUnit is the unit the sandbox's systemd boots.
const TargetUnit = "systemd-sandbox.target"

// targetUnitText is TargetUnit: sysinit.target plus journald and dbus, and
// nothing of multi-user.target (gettys, the host's services).
const targetUnitText = `[Unit]
Description=systemd-sandbox minimal system
Documentation=https://github.com/node-e2e/harness/tree/main/sandbox
Requires=sysinit.target systemd-journald.socket
Wants=systemd-journald-dev-log.socket dbus.socket
After=sysinit.target systemd-journald.socket systemd-journald-dev-log.socket dbus.socket
AllowIsolate=yes
`

// journaldConfText keeps the journal in /run and away from the host's
// kernel log.
const journaldConfText = `[Journal]
Storage=volatile
ReadKMsg=no
`

// baseMaskedUnits touch kernel state shared with the host (clock, modules,
// sysctls, binfmt, entropy, audit, pstore, TPM, disks, udev), mount what the
// sandbox provides itself, or start logins.
var baseMaskedUnits = []string{
	"systemd-timesyncd.service",
	"systemd-modules-load.service",
	"kmod-static-nodes.service",
	"modprobe@.service",
	"systemd-sysctl.service",
	"systemd-binfmt.service",
	"proc-sys-fs-binfmt_misc.automount",
	"proc-sys-fs-binfmt_misc.mount",
	"systemd-random-seed.service",
	"systemd-journald-audit.socket",
	"systemd-pstore.service",
	"systemd-pcrphase.service",
	"systemd-pcrphase-sysinit.service",
	"systemd-repart.service",
	"systemd-remount-fs.service",
	"systemd-hwdb-update.service",
	"systemd-udevd.service",
	"systemd-udev-trigger.service",
	"systemd-udev-settle.service",
	"systemd-udevd-control.socket",
	"systemd-udevd-kernel.socket",
	"dev-hugepages.mount",
	"dev-mqueue.mount",
	"sys-fs-fuse-connections.mount",
	"sys-kernel-config.mount",
	"sys-kernel-debug.mount",
	"sys-kernel-tracing.mount",
	"getty.target",
	"getty@.service",
	"autovt@.service",
	"serial-getty@.service",
	"console-getty.service",
	"container-getty@.service",
	"getty-static.service",
}

// clashingUnitPrefixes name host services that must not start a second
// copy inside the sandbox (they would share the host's state or ports).
var clashingUnitPrefixes = []string{"containerd", "etcd", "docker", "kubelet", "crio", "cri-o"}

// Directories that hold unit files and generators on the host.
var (
	unitDirs      = []string{"/etc/systemd/system", "/usr/local/lib/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"}
	generatorDirs = []string{"/etc/systemd/system-generators", "/usr/local/lib/systemd/system-generators", "/lib/systemd/system-generators", "/usr/lib/systemd/system-generators"}
)

// MaskedUnits returns the units the sandbox masks: the built-in list, the
// host's installed units of services that would clash with the host
// (containerd, etcd, docker, kubelet, cri-o), and extra; sorted, once each.
func MaskedUnits(installed, extra []string) []string {
	out := slices.Clone(baseMaskedUnits)
	for _, u := range installed {
		if !strings.HasSuffix(u, ".service") && !strings.HasSuffix(u, ".socket") {
			continue
		}
		for _, p := range clashingUnitPrefixes {
			if strings.HasPrefix(u, p) {
				out = append(out, u)
				break
			}
		}
	}
	out = append(out, extra...)
	slices.Sort(out)
	return slices.Compact(out)
}

// listNames returns the names of the entries of dirs that exist, sorted,
// once each.
func listNames(dirs []string) []string {
	var out []string
	for _, d := range dirs {
		ents, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if !e.IsDir() {
				out = append(out, e.Name())
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// etcSteps writes the sandbox's configuration into /etc of the overlay:
// the hostname and hosts file, a fresh machine id, and for systemd the
// masks, the generators turned off (all of them: fstab, getty, sysv, ...
// would otherwise act on the host's configuration), the target and the
// journald drop-in.
func etcSteps(name, nodeAddress, machineID string, masked, generators []string) []step {
	steps := []step{
		{Kind: stepFile, Target: "/etc/hostname", Data: name + "\n", Mode: 0o644},
		{Kind: stepFile, Target: "/etc/hosts", Data: hostsFile(name, nodeAddress), Mode: 0o644},
		{Kind: stepFile, Target: "/etc/machine-id", Data: machineID + "\n", Mode: 0o444},
		{Kind: stepFile, Target: path.Join("/etc/systemd/system", TargetUnit), Data: targetUnitText, Mode: 0o644},
		{Kind: stepFile, Target: "/etc/systemd/journald.conf.d/systemd-sandbox.conf", Data: journaldConfText, Mode: 0o644},
	}
	for _, u := range masked {
		steps = append(steps, step{Kind: stepSymlink, Source: "/dev/null", Target: path.Join("/etc/systemd/system", u)})
	}
	for _, g := range generators {
		steps = append(steps, step{Kind: stepSymlink, Source: "/dev/null", Target: path.Join("/etc/systemd/system-generators", g)})
	}
	return steps
}
