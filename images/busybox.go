package images

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/node-e2e/harness/internal/proc"
)

// listTimeout bounds `busybox --list` when the caller gives no context.
const listTimeout = time.Minute

// busyboxPath is the PATH of the busybox image.
const busyboxPath = "PATH=/bin:/usr/bin:/sbin:/usr/sbin"

// appletLister returns the applet names of the busybox binary at path. It is
// the seam that unit tests stub; listApplets is the real one.
type appletLister func(ctx context.Context, busybox string) ([]string, error)

// Busybox returns the busybox test image built from Debian's busybox-static
// binary (/bin/busybox): /bin/busybox with a symlink in /bin for each applet
// it lists, /etc/passwd and /etc/group with root and nobody, /root, and /tmp
// with mode 1777. There is no /etc/hosts: the runtime provides it. The
// command is sh and PATH is /bin:/usr/bin:/sbin:/usr/sbin.
func Busybox(busyboxBinary string) (v1.Image, error) {
	ctx, cancel := context.WithTimeout(context.Background(), listTimeout)
	defer cancel()
	return busybox(ctx, busyboxBinary, listApplets)
}

func busybox(ctx context.Context, binary string, list appletLister) (v1.Image, error) {
	data, err := readBinary("busybox", binary)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("images: busybox: %s not found: install Debian's busybox-static (hack/install-deps.sh): %w", binary, fs.ErrNotExist)
	}
	if err != nil {
		return nil, err
	}
	applets, err := list(ctx, binary)
	if err != nil {
		return nil, err
	}
	entries, err := busyboxEntries(data, applets)
	if err != nil {
		return nil, fmt.Errorf("images: busybox: %s: %w", binary, err)
	}
	return buildImage(imageSpec{
		component: "busybox",
		entries:   entries,
		createdBy: "node-e2e images: busybox-static at /bin/busybox with applet symlinks",
		config: v1.Config{
			Cmd: []string{"sh"},
			Env: []string{busyboxPath},
		},
	})
}

// listApplets runs `busybox --list`.
func listApplets(ctx context.Context, binary string) ([]string, error) {
	cmd := exec.CommandContext(ctx, binary, "--list")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("images: busybox: %s --list: %w\n%s", binary, err, proc.Indent(proc.LastLines(stderr.Bytes(), 10), "  | "))
	}
	applets, err := parseApplets(out)
	if err != nil {
		return nil, fmt.Errorf("images: busybox: %s --list: %w", binary, err)
	}
	return applets, nil
}

// parseApplets reads the output of `busybox --list`: one applet name a line.
// It returns the names sorted and without duplicates.
func parseApplets(out []byte) ([]string, error) {
	var applets []string
	for _, line := range strings.Split(string(out), "\n") {
		a := strings.TrimSpace(line)
		if a == "" {
			continue
		}
		if strings.Contains(a, "/") || a == "." || a == ".." {
			return nil, fmt.Errorf("unexpected applet name %q", a)
		}
		applets = append(applets, a)
	}
	if len(applets) == 0 {
		return nil, errors.New("no applets listed")
	}
	slices.Sort(applets)
	return slices.Compact(applets), nil
}

// busyboxEntries returns the busybox image's file system.
func busyboxEntries(binary []byte, applets []string) ([]entry, error) {
	if !slices.Contains(applets, "sh") {
		return nil, errors.New("busybox has no sh applet")
	}
	entries := []entry{
		directory("bin", 0o755),
		regular("bin/busybox", 0o755, binary),
		directory("etc", 0o755),
		regular("etc/passwd", 0o644, []byte(
			"root:x:0:0:root:/root:/bin/sh\n"+
				"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")),
		regular("etc/group", 0o644, []byte(
			"root:x:0:\n"+
				"nobody:x:65534:\n")),
		directory("root", 0o700),
		directory("tmp", 0o1777),
	}
	for _, a := range applets {
		if a == "busybox" {
			continue
		}
		entries = append(entries, symlink("bin/"+a, "busybox"))
	}
	return entries, nil
}
