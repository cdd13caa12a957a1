package images

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"k8s.io/klog/v2"
)

// TestImage returns the test image: one layer holding the compiled test
// image program (./images/testimage, see BuildTestImage) at /testimage with
// mode 0755, /etc/passwd and /etc/group with root and nobody, and /tmp with
// mode 1777. The entrypoint is /testimage and the command "pause", so a pod
// picks a subcommand with args: ["serve", "--port=8080"]. There is no shell.
func TestImage(binary string) (v1.Image, error) {
	data, err := readBinary("testimage", binary)
	if err != nil {
		return nil, err
	}
	return buildImage(imageSpec{
		component: "testimage",
		entries:   testImageEntries(data),
		createdBy: "node-e2e images: testimage program at /testimage",
		config: v1.Config{
			Entrypoint: []string{"/testimage"},
			Cmd:        []string{"pause"},
		},
	})
}

// testImageEntries returns the test image's file system. Accounts have no
// login shell, as the image has none.
func testImageEntries(binary []byte) []entry {
	return []entry{
		regular("testimage", 0o755, binary),
		directory("etc", 0o755),
		regular("etc/passwd", 0o644, []byte(
			"root:x:0:0:root:/:/sbin/nologin\n"+
				"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n")),
		regular("etc/group", 0o644, []byte(
			"root:x:0:\n"+
				"nobody:x:65534:\n")),
		directory("tmp", 0o1777),
	}
}

// BuildTestImage builds the test image as cfg says, compiling
// cfg.TestImageSource into cfg.WorkDir/testimage first when
// cfg.TestImageBinary is empty.
func BuildTestImage(ctx context.Context, cfg Config) (v1.Image, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	binary := cfg.TestImageBinary
	if binary == "" {
		if err := os.MkdirAll(cfg.WorkDir, 0o755); err != nil {
			return nil, fmt.Errorf("images: testimage: create work dir: %w", err)
		}
		binary = filepath.Join(cfg.WorkDir, "testimage")
		klog.FromContext(ctx).WithName("images").V(1).Info("compiling testimage", "source", cfg.TestImageSource, "output", binary)
		if err := CompileProgram(ctx, "testimage", cfg.TestImageSource, binary); err != nil {
			return nil, err
		}
	}
	return TestImage(binary)
}
