package images

import (
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Names of the suite's images, as specs ask for them. The harness's
// registry serves each under its repository and tag (Repos); specs and the
// runtime reference it by digest, <registry host>/<repository>@sha256:<hex>
// (DigestRef), so what runs is what the harness built, whatever a tag
// points at.
const (
	// PauseName is the pod sandbox image (containerd's sandbox_image).
	PauseName = "pause"
	// BusyboxName is the general-purpose shell image: busybox-static with a
	// symlink in /bin for each applet.
	BusyboxName = "busybox"
	// TestName is the test image: the testimage program, no shell.
	TestName = "testimage"
	// PrivateTestName is the test image again, in the registry's private
	// repository path: pulling it needs the registry's credentials.
	PrivateTestName = "private-testimage"
	// PullTestName is the test image again under a repository of its own
	// that the harness never pre-pulls: the image-pull specs pull it.
	PullTestName = "pull-testimage"
)

// Repos maps each image name to its repository:tag in the registry. Tags
// are explicit, never latest, so the kubelet's default pull policy
// (IfNotPresent) uses an image already pulled.
var Repos = map[string]string{
	PauseName:       "pause:1.0",
	BusyboxName:     "busybox:1.0",
	TestName:        "testimage:1.0",
	PrivateTestName: "private/testimage:1.0",
	PullTestName:    "pull/testimage:1.0",
}

// Prepulled reports whether the harness pulls image name before the specs:
// every image but the private one (it needs credentials) and the one the
// image-pull specs pull themselves.
func Prepulled(name string) bool { return name != PrivateTestName && name != PullTestName }

// Names returns the image names, sorted.
func Names() []string { return slices.Sorted(maps.Keys(Repos)) }

// Ref returns the reference of image name in the registry at host
// ("127.0.0.1:5000"), or "" for an unknown name.
func Ref(host, name string) string {
	repo, ok := Repos[name]
	if !ok {
		return ""
	}
	return host + "/" + repo
}

// DigestRef returns the digest reference of image name in the registry at
// host: "127.0.0.1:5000/busybox@sha256:…" for digest "sha256:…", or "" for
// an unknown name or a digest that is not sha256 (see Pinned).
func DigestRef(host, name, digest string) string {
	repo, ok := Repos[name]
	if !ok || !sha256Digest.MatchString(digest) {
		return ""
	}
	return host + "/" + Repository(repo) + "@" + digest
}

// sha256Digest matches a sha256 content digest.
var sha256Digest = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Pinned reports whether ref names its content: it ends in @sha256:<64
// hex digits>. A tag alone can be moved to other content by whoever can
// push to the registry.
func Pinned(ref string) bool {
	i := strings.LastIndex(ref, "@")
	return i > 0 && sha256Digest.MatchString(ref[i+1:])
}

// Repository is the repository of an image reference, without its digest
// or tag: "127.0.0.1:5000/busybox:1.0" and "127.0.0.1:5000/busybox@sha256:…"
// are both "127.0.0.1:5000/busybox" (the registry's port is not a tag).
func Repository(ref string) string {
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[:i]
	}
	return ref
}
