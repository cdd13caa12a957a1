package e2e_node

import (
	"os"

	"github.com/onsi/ginkgo/v2"
)

// injectedFailureEnv, when set, adds a spec that fails on purpose: the
// harness's own integration tests use it to prove that a failed spec gives
// a non-zero exit and still a clean teardown. It is never set otherwise,
// and the spec does not exist without it.
const injectedFailureEnv = "NODE_E2E_INJECT_FAILURE"

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
