package registry

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestBasicAuthHandler(t *testing.T) {
	const user, pass = "node-e2e", "s3cret"
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h := newBasicAuth(ok, "private/", user, pass)

	tests := []struct {
		method, path string
		user, pass   string // empty user: no Authorization header
		want         int
	}{
		{"GET", "/v2/", "", "", http.StatusTeapot},
		{"GET", "/v2", "", "", http.StatusTeapot},
		{"GET", "/v2/library/app/manifests/v1", "", "", http.StatusTeapot},
		{"HEAD", "/v2/privateer/app/manifests/v1", "", "", http.StatusTeapot},
		{"GET", "/v2/library/private/manifests/v1", "", "", http.StatusTeapot},
		{"POST", "/v2/library/app/blobs/uploads/", "", "", http.StatusUnauthorized},
		{"PATCH", "/v2/library/app/blobs/uploads/1", "", "", http.StatusUnauthorized},
		{"PUT", "/v2/library/app/blobs/uploads/1?digest=sha256:00", "", "", http.StatusUnauthorized},
		{"PUT", "/v2/library/app/manifests/v1", "", "", http.StatusUnauthorized},
		{"DELETE", "/v2/library/app/manifests/v1", "", "", http.StatusUnauthorized},
		{"OPTIONS", "/v2/library/app/manifests/v1", "", "", http.StatusUnauthorized},
		{"POST", "/v2/", "", "", http.StatusUnauthorized},
		{"PUT", "/v2/library/app/manifests/v1", user, "wrong", http.StatusUnauthorized},
		{"PUT", "/v2/library/app/manifests/v1", user, pass, http.StatusTeapot},
		{"POST", "/v2/library/app/blobs/uploads/", user, pass, http.StatusTeapot},
		{"DELETE", "/v2/library/app/manifests/v1", user, pass, http.StatusTeapot},
		{"GET", "/v2/private/app/manifests/v1", "", "", http.StatusUnauthorized},
		{"HEAD", "/v2/private/app/manifests/v1", "", "", http.StatusUnauthorized},
		{"PUT", "/v2/private/app/manifests/v1", "", "", http.StatusUnauthorized},
		{"POST", "/v2/private/app/blobs/uploads/", "", "", http.StatusUnauthorized},
		{"GET", "/v2/private/app/blobs/sha256:00", "", "", http.StatusUnauthorized},
		{"GET", "/v2/private/app/tags/list", "", "", http.StatusUnauthorized},
		{"GET", "/v2/_catalog", "", "", http.StatusUnauthorized},
		{"GET", "/v2/private/app/manifests/v1", user, "wrong", http.StatusUnauthorized},
		{"GET", "/v2/private/app/manifests/v1", "other", pass, http.StatusUnauthorized},
		{"GET", "/v2/private/app/manifests/v1", user, pass + pass, http.StatusUnauthorized},
		{"GET", "/v2/private/app/manifests/v1", user, pass, http.StatusTeapot},
		{"GET", "/v2/_catalog", user, pass, http.StatusTeapot},
		{"GET", "/v2//private/app/manifests/v1", "", "", http.StatusBadRequest},
		{"GET", "/v2/./private/app/manifests/v1", "", "", http.StatusBadRequest},
		{"GET", "/v2/library/../private/app/manifests/v1", "", "", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path+" "+tt.user+":"+tt.pass, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, nil)
			if tt.user != "" {
				req.SetBasicAuth(tt.user, tt.pass)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d (body %s)", rec.Code, tt.want, rec.Body)
			}
			if tt.want == http.StatusUnauthorized {
				if got := rec.Header().Get("WWW-Authenticate"); got != `Basic realm="node-e2e"` {
					t.Errorf("WWW-Authenticate = %q", got)
				}
				if got := rec.Header().Get("Content-Type"); got != "application/json" {
					t.Errorf("Content-Type = %q, want application/json", got)
				}
			}
		})
	}
}
