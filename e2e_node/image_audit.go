package e2e_node

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/node-e2e/harness/internal/run"
	"github.com/node-e2e/harness/services"
)

// runtimeImagesFile lists, in the report dir, every image the run's
// runtime holds at the end of the specs: the proof that no spec pulled an
// image from anywhere but the harness's registry.
const runtimeImagesFile = "runtime-images.txt"

// auditRuntimeImages writes runtimeImagesFile and returns an error naming
// any image that did not come from the harness's registry.
func auditRuntimeImages(info suiteInfo) error {
	if info.Registry == nil || !info.OwnRuntime || info.ReportDir == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	refs, err := services.ListImageRefs(ctx, info.RuntimeEndpoint)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "registry %s\n", info.Registry.Host)
	var foreign []string
	for _, r := range refs {
		fmt.Fprintf(&b, "image %s\n", r)
		if !strings.HasPrefix(r, info.Registry.Host+"/") && !strings.HasPrefix(r, "sha256:") {
			foreign = append(foreign, r)
		}
	}
	if err := run.WriteFile(filepath.Join(info.ReportDir, runtimeImagesFile), []byte(b.String()), 0o644); err != nil {
		return err
	}
	if len(foreign) > 0 {
		return fmt.Errorf("the runtime holds images that did not come from the harness's registry %s: %s (every image a spec uses must be built by this repository)", info.Registry.Host, strings.Join(foreign, ", "))
	}
	return nil
}
