package e2e_node

import (
	"sync/atomic"

	"github.com/node-e2e/harness/e2e_node/options"
	"github.com/node-e2e/harness/internal/run"
	"github.com/node-e2e/harness/services"
)

// cfg holds the flags; set once in TestMain, read by the specs.
var cfg = options.NewConfig()

// harness is process 1's hold on the node it brought up.
var harness struct {
	node   *services.Node
	layout run.Layout
	// info is how the specs reach the node process 1 brought up.
	info suiteInfo
	// stopWatch ends the watch on the node's processes (see fault.go).
	stopWatch func()
	failed    atomic.Bool
	// infoFile is the file that shares info with the other processes.
	infoFile string
}
