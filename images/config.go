package images

import (
	"errors"
)

// Config says where BuildSuite (and BuildTestImage) find their inputs and
// put their outputs.
type Config struct {
	// PauseBinary is the compiled pause program (./images/pause, built
	// with CompilePause). Default "": BuildSuite compiles PauseSource into
	// WorkDir/pause.
	PauseBinary string
	// PauseSource is the pause program's source directory, used when
	// PauseBinary is empty. Default "images/pause", relative to the
	// repository root, where the harness runs.
	PauseSource string
	// TestImageBinary is the compiled test image program
	// (./images/testimage, built with CompileProgram). Default "":
	// BuildTestImage compiles TestImageSource into WorkDir/testimage.
	TestImageBinary string
	// TestImageSource is the test image program's source directory, used
	// when TestImageBinary is empty. Default "images/testimage", relative
	// to the repository root, where the harness runs.
	TestImageSource string
	// BusyboxBinary is the statically linked busybox from Debian's
	// busybox-static package. Default "/bin/busybox".
	BusyboxBinary string
	// WorkDir receives build products (the compiled pause and test image
	// programs, when they are compiled); created when needed. Default
	// "_output/images".
	WorkDir string
}

// NewConfig returns a Config with the defaults.
func NewConfig() Config {
	return Config{
		PauseSource:     "images/pause",
		TestImageSource: "images/testimage",
		BusyboxBinary:   "/bin/busybox",
		WorkDir:         "_output/images",
	}
}

// Validate reports settings that cannot work. It touches nothing.
func (c Config) Validate() error {
	var errs []error
	if c.PauseBinary == "" && c.PauseSource == "" {
		errs = append(errs, errors.New("images: config: set PauseBinary or PauseSource"))
	}
	if c.TestImageBinary == "" && c.TestImageSource == "" {
		errs = append(errs, errors.New("images: config: set TestImageBinary or TestImageSource"))
	}
	if c.BusyboxBinary == "" {
		errs = append(errs, errors.New("images: config: BusyboxBinary is empty"))
	}
	if c.WorkDir == "" {
		errs = append(errs, errors.New("images: config: WorkDir is empty"))
	}
	return errors.Join(errs...)
}
