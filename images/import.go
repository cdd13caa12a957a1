package images

import (
	"context"
	"fmt"
	"os/exec"
	"strings"

	"github.com/node-e2e/harness/internal/proc"
)

// Namespace is the containerd namespace the kubelet's CRI uses.
const Namespace = "k8s.io"

// ImportArgs returns the command line, ctr first, that imports the archive
// into containerd's k8s.io namespace and unpacks it into the default
// snapshotter, so the CRI can start containers from it without a pull. An
// empty address leaves ctr's default socket. The flags are those of ctr 1.6
// (Debian bookworm).
func ImportArgs(ctr, address, archive string) []string {
	args := []string{ctr}
	if address != "" {
		args = append(args, "--address", address)
	}
	return append(args, "-n", Namespace, "images", "import", "--no-unpack=false", archive)
}

// Import runs ImportArgs. A failure carries the command line and the tail
// of its output.
func Import(ctx context.Context, ctr, address, archive string) error {
	args := ImportArgs(ctr, address, archive)
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("images: import %s into containerd: %s: %w\n%s",
			archive, strings.Join(args, " "), err, proc.Indent(proc.LastLines(out, 20), "  | "))
	}
	return nil
}
