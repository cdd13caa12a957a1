package e2e_node

import (
	"context"
	"os"
	"time"

	"github.com/onsi/ginkgo/v2"
)

// injectedFailureEnv, when set, adds a spec that fails on purpose: the
// harness's own integration tests use it to prove that a failed spec gives
// a non-zero exit and still a clean teardown. It is never set otherwise,
// and the spec does not exist without it.
const injectedFailureEnv = "NODE_E2E_INJECT_FAILURE"

// injectedHoldEnv, when set, adds a spec that keeps a pod running for ten
// minutes unless interrupted: the fault tests kill a node process under it
// and time how fast the run ends. Like the injected failure, the spec does
// not exist without it.
const injectedHoldEnv = "NODE_E2E_INJECT_HOLD"

var _ = func() bool {
	if os.Getenv(injectedFailureEnv) == "" {
		return false
	}
	ginkgo.Describe("Harness self-check", ginkgo.Label("SelfCheck"), func() {
		ginkgo.It("fails on purpose when "+injectedFailureEnv+" is set", func() {
			ginkgo.Fail("injected failure (" + injectedFailureEnv + " is set)")
		})
	})
	return true
}()

var _ = func() bool {
	if os.Getenv(injectedHoldEnv) == "" {
		return false
	}
	ginkgo.Describe("Harness self-check", ginkgo.Label("SelfCheck"), func() {
		ginkgo.It("holds a running pod until interrupted when "+injectedHoldEnv+" is set", func(ctx context.Context) {
			ns := createNamespace(ctx, "hold")
			name := uniqueName("hold")
			createPod(ctx, ns, busyboxPod(name, "sleep", "3600"))
			awaitPod(ctx, ns, name, 2*time.Minute, "Ready", containerReady)
			ginkgo.GinkgoWriter.Println("holding pod", ns+"/"+name)
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Minute):
			}
		})
	})
	return true
}()
