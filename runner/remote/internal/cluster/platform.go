package cluster

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ImagePlatform is img's OS and architecture (and variant), from its
// config file.
func ImagePlatform(img v1.Image) (v1.Platform, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return v1.Platform{}, fmt.Errorf("cluster: suite image config: %w", err)
	}
	if cf.OS == "" || cf.Architecture == "" {
		return v1.Platform{}, fmt.Errorf("cluster: suite image config names no platform (os %q, architecture %q)", cf.OS, cf.Architecture)
	}
	return v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}, nil
}

// CheckPlatform says which nodes cannot run an image of platform p: their
// status.nodeInfo operatingSystem or architecture differ (the Node API
// reports no variant, so none is compared). A node that reports neither
// is taken as it is.
func CheckPlatform(p v1.Platform, nodes []NodeInfo) error {
	var bad []string
	kinds := map[string]bool{}
	for _, n := range nodes {
		if n.OS == "" && n.Arch == "" {
			continue
		}
		if n.OS != p.OS || n.Arch != p.Architecture {
			bad = append(bad, fmt.Sprintf("%s (%s/%s)", n.Name, n.OS, n.Arch))
			kinds[n.OS+"/"+n.Arch] = true
		}
	}
	if len(bad) == 0 {
		return nil
	}
	want := p.OS + "/" + p.Architecture
	fix := fmt.Sprintf("select %s nodes (--node-selector=kubernetes.io/os=%s,kubernetes.io/arch=%s)", want, p.OS, p.Architecture)
	if others := slices.Sorted(maps.Keys(kinds)); len(others) == 1 {
		goos, goarch, _ := strings.Cut(others[0], "/")
		fix += fmt.Sprintf(", or build e2e_node.test, ginkgo and the test images for %s (GOOS=%s GOARCH=%s)", others[0], goos, goarch)
	}
	return usage("--nodes", fix, "the suite image is %s, built from this machine's binaries, but %s", want, strings.Join(bad, ", "))
}
