package imageserver

import (
	"strings"
	"testing"

	"github.com/node-e2e/harness/images"
)

func TestDigestRefs(t *testing.T) {
	const d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	names := []string{images.BusyboxName, images.PullTestName}
	digests := map[string]string{images.Repos[images.BusyboxName]: d, images.Repos[images.PullTestName]: d}
	refs, err := digestRefs("127.0.0.1:5000", names, digests)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		images.BusyboxName:  "127.0.0.1:5000/busybox@" + d,
		images.PullTestName: "127.0.0.1:5000/pull/testimage@" + d,
	}
	for name, ref := range want {
		if refs[name] != ref || !images.Pinned(refs[name]) {
			t.Errorf("ref of %s = %q, want %q, pinned by digest", name, refs[name], ref)
		}
	}
	if len(refs) != len(want) {
		t.Errorf("refs = %v, want exactly %v", refs, want)
	}

	delete(digests, images.Repos[images.PullTestName])
	if _, err := digestRefs("127.0.0.1:5000", names, digests); err == nil || !strings.Contains(err.Error(), images.PullTestName) {
		t.Errorf("a missing digest gave %v, want an error naming %s", err, images.PullTestName)
	}
}
