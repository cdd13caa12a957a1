package cluster

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/node-e2e/harness/images"
	"github.com/node-e2e/harness/services/registry"
)

// ProbeRegistry checks that reg answers the registry API and takes a push
// into the suite image's repository, without writing anything: it asks
// for push access (the token exchange, when the registry uses tokens) and
// starts a blob upload, which it then cancels; a registry that refuses
// the credentials or the repository refuses the upload. Every failure is
// a *UsageError on --registry saying why. ctx bounds it.
func ProbeRegistry(ctx context.Context, reg registry.Remote) error {
	const flag = "--registry"
	repo := reg.Base() + "/" + images.SuiteRepo
	ref, err := name.NewTag(repo+":probe", name.StrictValidation)
	if err != nil {
		return usage(flag, "give host[:port][/prefix] of a registry the nodes can pull from", "%q: %v", reg.Base(), err)
	}
	if err := reg.Ping(ctx, PreflightTimeout); err != nil {
		return usage(flag, "check the address, that the registry runs and that this machine reaches it", "%s is unreachable: %v", reg.Host, unwrapURL(err))
	}
	kc := authn.NewMultiKeychain(staticKeychain{reg}, authn.DefaultKeychain)
	if reg.Username != "" {
		kc = staticKeychain{reg}
	}
	err = remote.CheckPushPermission(ref, kc, ctxTransport{ctx: ctx, base: remote.DefaultTransport})
	if err == nil {
		return nil
	}
	var terr *transport.Error
	if errors.As(err, &terr) && (terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden) {
		return usage(flag, "give credentials that may push there (docker login, or the registry's user and password)",
			"%s refuses a push to %s: %v", reg.Host, repo, err)
	}
	return usage(flag, "check that the registry takes pushes (not a read-only mirror)", "a push to %s failed: %v", repo, unwrapURL(err))
}

// staticKeychain answers reg's own credentials for its host, anonymous
// for any other.
type staticKeychain struct{ reg registry.Remote }

func (k staticKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if k.reg.Username == "" || r.RegistryStr() != k.reg.Host {
		return authn.Anonymous, nil
	}
	return &authn.Basic{Username: k.reg.Username, Password: k.reg.Password}, nil
}

// ctxTransport carries every request under ctx: CheckPushPermission takes
// no context of its own.
type ctxTransport struct {
	ctx  context.Context
	base http.RoundTripper
}

func (t ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return t.base.RoundTrip(r.WithContext(t.ctx))
}

// unwrapURL drops the method and URL a *url.Error repeats ("Get
// \"http://...\": dial tcp ...: connection refused" reads as the cause).
func unwrapURL(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, "\": "); i >= 0 && strings.Contains(s[:i], "://") {
		return s[i+3:]
	}
	return s
}
