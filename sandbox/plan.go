package sandbox

import (
	"path"
	"syscall"
)

// stepKind is what one step of the second stage does.
type stepKind string

const (
	// stepMount mounts a new file system: Source, FSType, Flags, Data on
	// Target (created as a directory if missing).
	stepMount stepKind = "mount"
	// stepBind binds the host path Source (a directory or a file, opened
	// before anything is mounted) on Target, creating Target like Source,
	// then sets the mount's flags to Flags (plus read-only if ReadOnly).
	// An Optional step is skipped when Source does not exist.
	stepBind stepKind = "bind"
	// stepRebind binds Target, a path inside the sandbox, on itself and sets
	// the new mount's flags to Flags (plus read-only if ReadOnly). An
	// Optional step is skipped when Target does not exist.
	stepRebind stepKind = "rebind"
	// stepRemount sets the flags of the mount at Target to Flags (plus
	// read-only if ReadOnly).
	stepRemount stepKind = "remount"
	// stepSymlink makes Target a symbolic link to Source, replacing Target.
	stepSymlink stepKind = "symlink"
	// stepFile writes Data to Target with Mode, replacing it.
	stepFile stepKind = "file"
)

// step is one action of the second stage. Targets are paths inside the
// sandbox; the second stage resolves them under the new root.
type step struct {
	Kind     stepKind `json:"kind"`
	Source   string   `json:"source,omitempty"`
	Target   string   `json:"target"`
	FSType   string   `json:"fstype,omitempty"`
	Flags    uintptr  `json:"flags,omitempty"`
	Data     string   `json:"data,omitempty"`
	Mode     uint32   `json:"mode,omitempty"`
	ReadOnly bool     `json:"readOnly,omitempty"`
	Optional bool     `json:"optional,omitempty"`
}

const (
	nosuid = syscall.MS_NOSUID
	nodev  = syscall.MS_NODEV
	noexec = syscall.MS_NOEXEC
)

// devNodes are the host device nodes bound into /dev; the optional ones may
// be missing on the host.
var devNodes = []struct {
	name     string
	optional bool
}{{"null", false}, {"zero", false}, {"full", false}, {"random", false}, {"urandom", false}, {"tty", false}, {"fuse", true}}

// planInput is what the mount plan depends on.
type planInput struct {
	Name        string
	NodeAddress string // Config.NodeAddress, for /etc/hosts
	MachineID   string
	// Console is the host path of the console pty's peer (/dev/pts/N); the
	// second stage checks that it is the pty it has as stdin.
	Console     string
	Hierarchies []hierarchy
	Binds       []Bind
	Tmpfs       []string
	Masked      []string
	Generators  []string
}

// buildPlan returns the steps that turn the overlay into the sandbox's
// root, in order: /proc, /sys with the cgroup hierarchies, /dev, /run and
// /tmp, the requested tmpfs mounts, the systemd configuration, and last the
// requested binds (so that they may land anywhere, even in /run or /tmp).
func buildPlan(in planInput) []step {
	var s []step
	// A fresh /proc for the new pid namespace; /proc/sys read-only except
	// the network sysctls, which belong to the sandbox's own net namespace.
	s = append(s,
		step{Kind: stepMount, Source: "proc", Target: "/proc", FSType: "proc", Flags: nosuid | nodev | noexec},
		step{Kind: stepRebind, Target: "/proc/sys", Flags: nosuid | nodev | noexec, ReadOnly: true},
		step{Kind: stepRebind, Target: "/proc/sys/net", Flags: nosuid | nodev | noexec},
		step{Kind: stepRebind, Target: "/proc/sysrq-trigger", Flags: nosuid | nodev | noexec, ReadOnly: true, Optional: true},
	)
	// A read-only /sys, and the host's cgroup layout on a tmpfs.
	s = append(s,
		step{Kind: stepMount, Source: "sysfs", Target: "/sys", FSType: "sysfs", Flags: syscall.MS_RDONLY | nosuid | nodev | noexec},
		step{Kind: stepMount, Source: in.Name, Target: "/sys/fs/cgroup", FSType: "tmpfs", Flags: nosuid | nodev | noexec, Data: "mode=755"},
	)
	for _, h := range in.Hierarchies {
		st := step{Kind: stepMount, Source: "cgroup", Target: path.Join("/sys/fs/cgroup", h.Dir), FSType: "cgroup", Flags: nosuid | nodev | noexec, Data: h.Options}
		if h.Unified {
			st.Source, st.FSType, st.Data = "cgroup2", "cgroup2", ""
		}
		s = append(s, st)
	}
	s = append(s, step{Kind: stepRemount, Target: "/sys/fs/cgroup", Flags: nosuid | nodev | noexec, ReadOnly: true})
	// A minimal /dev.
	s = append(s, step{Kind: stepMount, Source: in.Name, Target: "/dev", FSType: "tmpfs", Flags: nosuid, Data: "mode=755,size=65536k"})
	for _, d := range devNodes {
		s = append(s, step{Kind: stepBind, Source: "/dev/" + d.name, Target: "/dev/" + d.name, Flags: nosuid | noexec, Optional: d.optional})
	}
	s = append(s,
		step{Kind: stepMount, Source: "devpts", Target: "/dev/pts", FSType: "devpts", Flags: nosuid | noexec, Data: "newinstance,ptmxmode=0666,mode=620,gid=5"},
		step{Kind: stepSymlink, Source: "pts/ptmx", Target: "/dev/ptmx"},
		step{Kind: stepMount, Source: in.Name, Target: "/dev/shm", FSType: "tmpfs", Flags: nosuid | nodev, Data: "mode=1777"},
		step{Kind: stepMount, Source: "mqueue", Target: "/dev/mqueue", FSType: "mqueue", Flags: nosuid | nodev | noexec},
		// The kubelet's OOM watcher needs /dev/kmsg; nothing may write to it.
		step{Kind: stepBind, Source: "/dev/kmsg", Target: "/dev/kmsg", Flags: nosuid | noexec, ReadOnly: true},
		step{Kind: stepBind, Source: in.Console, Target: "/dev/console", Flags: nosuid | noexec},
		step{Kind: stepSymlink, Source: "/proc/self/fd", Target: "/dev/fd"},
		step{Kind: stepSymlink, Source: "/proc/self/fd/0", Target: "/dev/stdin"},
		step{Kind: stepSymlink, Source: "/proc/self/fd/1", Target: "/dev/stdout"},
		step{Kind: stepSymlink, Source: "/proc/self/fd/2", Target: "/dev/stderr"},
	)
	s = append(s,
		step{Kind: stepMount, Source: in.Name, Target: "/run", FSType: "tmpfs", Flags: nosuid | nodev, Data: "mode=755"},
		step{Kind: stepMount, Source: in.Name, Target: "/tmp", FSType: "tmpfs", Flags: nosuid | nodev, Data: "mode=1777"},
	)
	for _, t := range in.Tmpfs {
		s = append(s, step{Kind: stepMount, Source: in.Name, Target: path.Clean(t), FSType: "tmpfs", Data: "mode=755"})
	}
	s = append(s, etcSteps(in.Name, in.NodeAddress, in.MachineID, in.Masked, in.Generators)...)
	for _, b := range in.Binds {
		target := b.Target
		if target == "" {
			target = b.Source // Bind's documented default
		}
		s = append(s, step{Kind: stepBind, Source: b.Source, Target: target, ReadOnly: b.ReadOnly})
	}
	return s
}
