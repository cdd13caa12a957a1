package services

import (
	"testing"
)

func TestTagOf(t *testing.T) {
	const d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for ref, want := range map[string]string{
		"127.0.0.1:5000/busybox@" + d:        "127.0.0.1:5000/busybox:1.0",
		"127.0.0.1:5000/pull/testimage@" + d: "127.0.0.1:5000/pull/testimage:1.0",
		"127.0.0.1:5000/testimage@" + d:      "127.0.0.1:5000/testimage:1.0",
		"127.0.0.1:5000/nginx@" + d:          "",
	} {
		if got := tagOf(ref); got != want {
			t.Errorf("tagOf(%q) = %q, want %q", ref, got, want)
		}
	}
}
