package images

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/node-e2e/harness/internal/proc"
)

// Pause returns the pod sandbox image: one layer holding the compiled pause
// program (see CompilePause) at /pause with mode 0755, and /pause as the
// entrypoint.
func Pause(pauseBinary string) (v1.Image, error) {
	data, err := readBinary("pause", pauseBinary)
	if err != nil {
		return nil, err
	}
	return buildImage(imageSpec{
		component: "pause",
		entries:   []entry{regular("pause", 0o755, data)},
		createdBy: "node-e2e images: pause program at /pause",
		config:    v1.Config{Entrypoint: []string{"/pause"}},
	})
}

// compilePauseArgs returns the go command line that builds the pause program
// into out, statically and without host paths; it runs in the source
// directory with compilePauseEnv.
func compilePauseArgs(out string) []string {
	return []string{"go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, "."}
}

// compilePauseEnv returns the environment additions for compilePauseArgs: no
// cgo, and the image's OS and architecture.
func compilePauseEnv() []string {
	return []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=" + runtime.GOARCH}
}

// CompilePause builds the pause program in srcDir (./images/pause) into the
// file out with the go command found in PATH. On failure the error names the
// command and carries its output.
func CompilePause(ctx context.Context, srcDir, out string) error {
	abs, err := filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("images: compile pause: output path %s: %w", out, err)
	}
	args := compilePauseArgs(abs)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = srcDir
	cmd.Env = append(os.Environ(), compilePauseEnv()...)
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("images: compile pause: %s %s (in %s): %w\n%s",
			strings.Join(compilePauseEnv(), " "), strings.Join(args, " "), srcDir, err,
			proc.Indent(proc.LastLines(output, 20), "  | "))
	}
	return nil
}
