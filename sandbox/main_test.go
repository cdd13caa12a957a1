package sandbox

import (
	"fmt"
	"os"
	"testing"
)

// TestMain hands the sandbox's re-executions of the test binary (the second
// stage, the enter stage) over to RunReexec.
func TestMain(m *testing.M) {
	if IsReexec(os.Args) {
		fmt.Fprintln(os.Stderr, RunReexec(os.Args))
		os.Exit(125)
	}
	os.Exit(m.Run())
}
