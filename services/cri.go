package services

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// DialCRI connects to a CRI endpoint (unix://path or a bare path).
func DialCRI(endpoint string) (*grpc.ClientConn, error) {
	target := endpoint
	if !strings.HasPrefix(target, "unix://") {
		target = "unix://" + target
	}
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("cri %s: %w", endpoint, err)
	}
	return conn, nil
}

// CRIReady returns nil when the endpoint answers the CRI Version call.
func CRIReady(ctx context.Context, endpoint string) error {
	conn, err := DialCRI(endpoint)
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := runtimeapi.NewRuntimeServiceClient(conn).Version(ctx, &runtimeapi.VersionRequest{}); err != nil {
		return fmt.Errorf("cri %s: %w", endpoint, err)
	}
	return nil
}

// RemovePodSandboxes stops and removes the sandboxes (and so their
// containers and network namespaces) that keep returns true for. It returns
// how many it removed.
func RemovePodSandboxes(ctx context.Context, endpoint string, keep func(*runtimeapi.PodSandbox) bool) (int, error) {
	conn, err := DialCRI(endpoint)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	rs := runtimeapi.NewRuntimeServiceClient(conn)
	resp, err := rs.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		return 0, fmt.Errorf("cri: list sandboxes: %w", err)
	}
	n := 0
	var errs []string
	for _, sb := range resp.Items {
		if !keep(sb) {
			continue
		}
		if _, err := rs.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: sb.Id}); err != nil {
			errs = append(errs, fmt.Sprintf("stop %s: %v", sb.Id, err))
			continue
		}
		if _, err := rs.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: sb.Id}); err != nil {
			errs = append(errs, fmt.Sprintf("remove %s: %v", sb.Id, err))
			continue
		}
		n++
	}
	if len(errs) > 0 {
		return n, fmt.Errorf("cri: %s", strings.Join(errs, "; "))
	}
	return n, nil
}

// PullImages pulls refs through the CRI image service at endpoint, a few at
// a time. The error names every image that failed.
func PullImages(ctx context.Context, endpoint string, refs []string) error {
	return PullImagesAs(ctx, endpoint, refs, "", "")
}

// PullImagesAs is PullImages with the registry's credentials (none when
// user is empty).
func PullImagesAs(ctx context.Context, endpoint string, refs []string, user, password string) error {
	var auth *runtimeapi.AuthConfig
	if user != "" {
		auth = &runtimeapi.AuthConfig{Username: user, Password: password}
	}
	conn, err := DialCRI(endpoint)
	if err != nil {
		return err
	}
	defer conn.Close()
	is := runtimeapi.NewImageServiceClient(conn)
	var g errgroup.Group
	g.SetLimit(4)
	errs := make([]error, len(refs))
	for i, ref := range refs {
		g.Go(func() error {
			if _, err := is.PullImage(ctx, &runtimeapi.PullImageRequest{Image: &runtimeapi.ImageSpec{Image: ref}, Auth: auth}); err != nil {
				errs[i] = fmt.Errorf("pull %s through CRI at %s: %w", ref, endpoint, err)
			}
			return nil
		})
	}
	_ = g.Wait()
	return errors.Join(errs...)
}

// ListImageRefs returns every tag and digest reference of the images in
// the runtime at endpoint, sorted.
func ListImageRefs(ctx context.Context, endpoint string) ([]string, error) {
	conn, err := DialCRI(endpoint)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	resp, err := runtimeapi.NewImageServiceClient(conn).ListImages(ctx, &runtimeapi.ListImagesRequest{})
	if err != nil {
		return nil, fmt.Errorf("cri: list images: %w", err)
	}
	var refs []string
	for _, img := range resp.Images {
		refs = append(refs, img.RepoTags...)
		refs = append(refs, img.RepoDigests...)
	}
	slices.Sort(refs)
	return refs, nil
}

// RemoveImages removes refs from the runtime at endpoint; an image already
// gone is not an error.
func RemoveImages(ctx context.Context, endpoint string, refs []string) error {
	conn, err := DialCRI(endpoint)
	if err != nil {
		return err
	}
	defer conn.Close()
	is := runtimeapi.NewImageServiceClient(conn)
	var errs []error
	for _, ref := range refs {
		if _, err := is.RemoveImage(ctx, &runtimeapi.RemoveImageRequest{Image: &runtimeapi.ImageSpec{Image: ref}}); err != nil {
			errs = append(errs, fmt.Errorf("remove image %s through CRI at %s: %w", ref, endpoint, err))
		}
	}
	return errors.Join(errs...)
}
