package images

import (
	"os"
	"strings"
	"testing"
)

func TestDynamicDeps(t *testing.T) {
	for _, p := range []string{"/bin/ls", "/bin/busybox"} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("needs %s: %v", p, err)
		}
	}
	static, err := dynamicDeps([]string{"/bin/busybox"})
	if err != nil || len(static) != 0 {
		t.Errorf("busybox-static needs %v, %v; want nothing", static, err)
	}
	entries, err := dynamicDeps([]string{"/bin/ls"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var loader, libc bool
	for _, e := range entries {
		names = append(names, e.name)
		if strings.Contains(e.name, "ld-linux") && len(e.data) > 0 {
			loader = true
		}
		if strings.HasSuffix(e.name, "/libc.so.6") && len(e.data) > 0 {
			libc = true
		}
	}
	if !loader || !libc {
		t.Errorf("/bin/ls needs %v: want the loader and libc.so.6, with content", names)
	}
	// The entries make a valid layer: parents before children, no name twice.
	if _, err := tarEntries(entries); err != nil {
		t.Error(err)
	}
}
