package options

import (
	"context"
	"net"
	"path/filepath"
	"testing"
)

// The runtime endpoint is resolved once: the answer the preflight got is
// the one NodeConfig passes on, even if the socket appears in between.
func TestRuntimeAnswersResolvesOnce(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "cri.sock")
	c := NewConfig()
	c.ContainerRuntimeEndpoint = "unix://" + sock
	if c.RuntimeAnswers(context.Background()) {
		t.Fatal("no socket: RuntimeAnswers = true")
	}
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if c.RuntimeAnswers(context.Background()) {
		t.Error("RuntimeAnswers dialled again: its first answer was false")
	}
}
