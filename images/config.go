package images

import (
	"errors"
	"path/filepath"
)

// Config says where BuildAll finds its inputs and puts its outputs.
type Config struct {
	// PauseBinary is the compiled pause program (./images/pause, built
	// with CompilePause). Default "": BuildAll compiles PauseSource into
	// WorkDir/pause.
	PauseBinary string
	// PauseSource is the pause program's source directory, used when
	// PauseBinary is empty. Default "images/pause", relative to the
	// repository root, where the harness runs.
	PauseSource string
	// BusyboxBinary is the statically linked busybox from Debian's
	// busybox-static package. Default "/bin/busybox".
	BusyboxBinary string
	// WorkDir receives build products (the compiled pause and, by
	// default, the archive); BuildAll creates it. Default "_output/images".
	WorkDir string
	// ArchivePath is the docker-archive tarball BuildAll writes. Default
	// "": WorkDir/images.tar.
	ArchivePath string
}

// NewConfig returns a Config with the defaults.
func NewConfig() Config {
	return Config{
		PauseSource:   "images/pause",
		BusyboxBinary: "/bin/busybox",
		WorkDir:       "_output/images",
	}
}

// Validate reports settings that cannot work. It touches nothing.
func (c Config) Validate() error {
	var errs []error
	if c.PauseBinary == "" && c.PauseSource == "" {
		errs = append(errs, errors.New("images: config: set PauseBinary or PauseSource"))
	}
	if c.BusyboxBinary == "" {
		errs = append(errs, errors.New("images: config: BusyboxBinary is empty"))
	}
	if c.WorkDir == "" {
		errs = append(errs, errors.New("images: config: WorkDir is empty"))
	}
	return errors.Join(errs...)
}

// archive returns the archive path with its default applied.
func (c Config) archive() string {
	if c.ArchivePath != "" {
		return c.ArchivePath
	}
	return filepath.Join(c.WorkDir, "images.tar")
}
