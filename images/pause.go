package images

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
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

// CompilePause builds the pause program in srcDir (./images/pause) into the
// file out; see CompileProgram.
func CompilePause(ctx context.Context, srcDir, out string) error {
	return CompileProgram(ctx, "pause", srcDir, out)
}

// buildPause builds the pause image as cfg says, compiling
// cfg.PauseSource into cfg.WorkDir/pause first when cfg.PauseBinary is
// empty.
func buildPause(ctx context.Context, cfg Config) (v1.Image, error) {
	binary := cfg.PauseBinary
	if binary == "" {
		if err := os.MkdirAll(cfg.WorkDir, 0o755); err != nil {
			return nil, fmt.Errorf("images: pause: create work dir: %w", err)
		}
		binary = filepath.Join(cfg.WorkDir, "pause")
		if err := CompilePause(ctx, cfg.PauseSource, binary); err != nil {
			return nil, err
		}
	}
	return Pause(binary)
}
