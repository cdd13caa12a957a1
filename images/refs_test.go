package images

import "testing"

func TestRepository(t *testing.T) {
	for ref, want := range map[string]string{
		"127.0.0.1:5000/busybox:1.0":                 "127.0.0.1:5000/busybox",
		"127.0.0.1:5000/busybox@sha256:0123abcd":     "127.0.0.1:5000/busybox",
		"127.0.0.1:5000/pull/testimage:1.0@sha256:0": "127.0.0.1:5000/pull/testimage",
		"127.0.0.1:5000/busybox":                     "127.0.0.1:5000/busybox",
		"busybox:1.0":                                "busybox",
		"busybox":                                    "busybox",
	} {
		if got := Repository(ref); got != want {
			t.Errorf("Repository(%q) = %q, want %q", ref, got, want)
		}
	}
}
