package janitor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Config is one janitor's work.
type Config struct {
	// At is when to start deleting (the run's expiry). Required.
	At time.Time
	// Paths are API paths (/api/v1/namespaces/x, /apis/...) deleted in
	// this order. Required.
	Paths []string
	// Host is the API server's URL (https://host:port). Required.
	Host string
	// TokenFile holds the bearer token; it is read again before every
	// request, since a projected ServiceAccount token is rotated by the
	// kubelet. Required.
	TokenFile string
	// CAFile is the PEM bundle verifying Host. Empty: the system roots.
	CAFile string
	// Retry is the wait after a failed attempt. Default 10 s.
	Retry time.Duration
	// Client overrides the HTTP client (tests). Default: one trusting
	// CAFile, with a 30 s timeout per request.
	Client *http.Client
}

// Validate checks c without touching anything; errors name the flags.
func (c Config) Validate() error {
	var errs []error
	if c.At.IsZero() {
		errs = append(errs, errors.New("--janitor-at: give the expiry as unix seconds"))
	}
	if len(c.Paths) == 0 {
		errs = append(errs, errors.New("--janitor-delete: give the API paths to delete, comma separated"))
	}
	for _, p := range c.Paths {
		if !strings.HasPrefix(p, "/api/") && !strings.HasPrefix(p, "/apis/") || strings.Contains(p, "..") || strings.ContainsAny(p, "?#") {
			errs = append(errs, fmt.Errorf("--janitor-delete: %q is not an API object path (/api/v1/... or /apis/...)", p))
		}
	}
	if u, err := url.Parse(c.Host); err != nil || u.Scheme != "https" || u.Host == "" {
		errs = append(errs, fmt.Errorf("--host=%q: the janitor needs the API server's https:// URL", c.Host))
	}
	if c.TokenFile == "" {
		errs = append(errs, errors.New("--bearer-token-file: the janitor needs its ServiceAccount token file"))
	}
	return errors.Join(errs...)
}

// Run sleeps until c.At, then deletes each path in order: 200, 202 and
// 404 (already gone) end a path; anything else is logged to log and
// retried after c.Retry, until ctx ends.
func Run(ctx context.Context, c Config, log io.Writer) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if c.Retry <= 0 {
		c.Retry = 10 * time.Second
	}
	client := c.Client
	if client == nil {
		var err error
		if client, err = newClient(c.CAFile); err != nil {
			return err
		}
	}
	fmt.Fprintf(log, "janitor: deleting %d objects at %s\n", len(c.Paths), c.At.UTC().Format(time.RFC3339))
	if err := sleepUntil(ctx, c.At); err != nil {
		return err
	}
	for _, p := range c.Paths {
		for {
			status, err := deleteOnce(ctx, client, c, p)
			if err == nil {
				fmt.Fprintf(log, "janitor: DELETE %s: %s\n", p, status)
				break
			}
			fmt.Fprintf(log, "janitor: DELETE %s: %v (retrying in %s)\n", p, err, c.Retry)
			if err := sleepUntil(ctx, time.Now().Add(c.Retry)); err != nil {
				return fmt.Errorf("janitor: %s not deleted: %w", p, err)
			}
		}
	}
	return nil
}

// deleteOnce sends one DELETE; nil error for 200, 202 and 404.
func deleteOnce(ctx context.Context, client *http.Client, c Config, path string) (string, error) {
	tok, err := os.ReadFile(c.TokenFile)
	if err != nil {
		return "", fmt.Errorf("read the token: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, strings.TrimSuffix(c.Host, "/")+path, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch resp.StatusCode {
	case http.StatusOK, http.StatusAccepted:
		return resp.Status, nil
	case http.StatusNotFound:
		return resp.Status + " (already gone)", nil
	}
	return "", fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
}

func newClient(caFile string) (*http.Client, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("--host-ca-file=%s: %w", caFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--host-ca-file=%s: no PEM certificate in it", caFile)
		}
		tc.RootCAs = pool
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: tc, Proxy: http.ProxyFromEnvironment}}, nil
}

// sleepUntil waits until t or ctx's end.
func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
