package cluster

import (
	"context"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/node-e2e/harness/images"
	"github.com/node-e2e/harness/services/registry"
)

// SuiteTag is the suite image's tag for its digest: sha-<first 16 hex
// digits>. A tag per content never moves, so a node that pulled it holds
// what the tag names; pods reference the digest anyway.
func SuiteTag(d v1.Hash) string {
	return "sha-" + d.Hex[:16]
}

// PushSuiteImage pushes img (images.Suite) to reg as
// <base>/node-e2e-suite:<SuiteTag> and returns its reference by digest,
// <base>/node-e2e-suite@sha256:<hex>, what the run's pods use. Layers the
// registry holds already are not sent again.
func PushSuiteImage(ctx context.Context, reg registry.Remote, img v1.Image) (string, error) {
	d, err := img.Digest()
	if err != nil {
		return "", fmt.Errorf("cluster: suite image digest: %w", err)
	}
	key := images.SuiteRepo + ":" + SuiteTag(d)
	got, err := reg.PushAll(ctx, map[string]v1.Image{key: img})
	if err != nil {
		return "", fmt.Errorf("cluster: push the suite image to %s: %w", reg.Base(), err)
	}
	if got[key] != d.String() {
		return "", fmt.Errorf("cluster: push the suite image to %s: pushed digest %s, built %s", reg.Base(), got[key], d)
	}
	return reg.Base() + "/" + images.SuiteRepo + "@" + d.String(), nil
}

// DigestOf returns the digest part of a reference by digest.
func DigestOf(ref string) (string, bool) {
	_, d, ok := strings.Cut(ref, "@")
	return d, ok && strings.HasPrefix(d, "sha256:")
}
