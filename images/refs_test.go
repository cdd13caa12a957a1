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

func TestDigestRefAndPinned(t *testing.T) {
	const d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, tt := range []struct {
		name, digest, want string
	}{
		{BusyboxName, d, "127.0.0.1:5000/busybox@" + d},
		{PullTestName, d, "127.0.0.1:5000/pull/testimage@" + d},
		{PrivateTestName, d, "127.0.0.1:5000/private/testimage@" + d},
		{"nginx", d, ""},
		{BusyboxName, "sha256:0123", ""},
		{BusyboxName, "sha512:" + d[7:], ""},
		{BusyboxName, "", ""},
	} {
		got := DigestRef("127.0.0.1:5000", tt.name, tt.digest)
		if got != tt.want {
			t.Errorf("DigestRef(%q, %q) = %q, want %q", tt.name, tt.digest, got, tt.want)
		}
		if got != "" && !Pinned(got) {
			t.Errorf("Pinned(%q) = false", got)
		}
	}
	for ref, want := range map[string]bool{
		"127.0.0.1:5000/busybox@" + d:          true,
		"127.0.0.1:5000/busybox:1.0@" + d:      true,
		"127.0.0.1:5000/busybox:1.0":           false,
		"127.0.0.1:5000/busybox":               false,
		"127.0.0.1:5000/busybox@sha256:0123":   false,
		"127.0.0.1:5000/busybox@" + d + "0":    false,
		"127.0.0.1:5000/busybox@" + d + ":1.0": false,
		"@" + d:                                false,
	} {
		if got := Pinned(ref); got != want {
			t.Errorf("Pinned(%q) = %v, want %v", ref, got, want)
		}
	}
}
