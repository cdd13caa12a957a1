package images

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/node-e2e/harness/internal/proc"
)

// compileArgs returns the go command line that builds the program in the
// current directory into out: without host paths, symbol tables or VCS
// stamps, so that the same source and toolchain give the same bytes.
func compileArgs(out string) []string {
	return []string{"go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", out, "."}
}

// compileEnv returns the environment additions for compileArgs: no cgo, so
// the binary is static, and the image's OS and architecture.
func compileEnv() []string {
	return []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=" + runtime.GOARCH}
}

// CompileProgram builds the Go program in srcDir into the file out with the
// go command found in PATH, statically (see compileArgs). component names
// the program in errors ("pause"). On failure the error names the command
// and carries the tail of its output.
func CompileProgram(ctx context.Context, component, srcDir, out string) error {
	abs, err := filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("images: compile %s: output path %s: %w", component, out, err)
	}
	args := compileArgs(abs)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = srcDir
	cmd.Env = append(os.Environ(), compileEnv()...)
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("images: compile %s: %s %s (in %s): %w\n%s",
			component, strings.Join(compileEnv(), " "), strings.Join(args, " "), srcDir, err,
			proc.Indent(proc.LastLines(output, 20), "  | "))
	}
	return nil
}
