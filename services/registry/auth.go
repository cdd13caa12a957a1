package registry

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
)

// realm is the basic-auth realm announced in WWW-Authenticate.
const realm = "node-e2e"

// basicAuth guards next: every write, and every read of a private
// repository or of the catalog, needs the credentials. Anonymous clients
// may only read (GET, HEAD) public repositories.
type basicAuth struct {
	next   http.Handler
	prefix string
	// Hashes of the expected credentials: comparing fixed-size digests keeps
	// the comparison constant-time whatever the lengths.
	user, pass [sha256.Size]byte
}

func newBasicAuth(next http.Handler, prefix, user, pass string) *basicAuth {
	return &basicAuth{next: next, prefix: prefix, user: sha256.Sum256([]byte(user)), pass: sha256.Sum256([]byte(pass))}
}

func (a *basicAuth) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !cleanPath(r.URL.Path) {
		// Repository names never hold empty, "." or ".." components; refuse
		// them rather than reason about how they would be matched.
		writeError(w, http.StatusBadRequest, "NAME_INVALID", "invalid repository name in path")
		return
	}
	if a.needsAuth(r.Method, r.URL.Path) {
		u, p, ok := r.BasicAuth()
		if !ok {
			unauthorized(w, "authentication required")
			return
		}
		if !a.valid(u, p) {
			unauthorized(w, "invalid username or password")
			return
		}
	}
	a.next.ServeHTTP(w, r)
}

// needsAuth reports whether a request needs the credentials: any method
// but GET and HEAD (pushes: blob uploads, manifest PUTs, deletes), whatever
// the path, since an anonymous push could replace an image the specs run;
// and reads of a private repository, or of the repository list (the catalog
// would name the private ones).
func (a *basicAuth) needsAuth(method, path string) bool {
	if method != http.MethodGet && method != http.MethodHead {
		return true
	}
	rest, ok := strings.CutPrefix(path, "/v2/")
	if !ok || rest == "" {
		return false // /v2/ answers anonymously; other paths are 404 anyway
	}
	if rest == "_catalog" {
		return true
	}
	return strings.HasPrefix(rest, a.prefix)
}

func (a *basicAuth) valid(user, pass string) bool {
	u := sha256.Sum256([]byte(user))
	p := sha256.Sum256([]byte(pass))
	return subtle.ConstantTimeCompare(u[:], a.user[:])&subtle.ConstantTimeCompare(p[:], a.pass[:]) == 1
}

// cleanPath reports whether path has no empty (except a trailing slash), "."
// or ".." component.
func cleanPath(path string) bool {
	rest, ok := strings.CutPrefix(path, "/")
	if !ok {
		return false
	}
	rest = strings.TrimSuffix(rest, "/")
	if rest == "" {
		return true
	}
	for s := range strings.SplitSeq(rest, "/") {
		if s == "" || s == "." || s == ".." {
			return false
		}
	}
	return true
}

func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Basic realm="`+realm+`"`)
	writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", msg)
}

// writeError answers with the distribution spec's error body:
// {"errors":[{"code":...,"message":...}]}.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	type specError struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	body, _ := json.Marshal(struct {
		Errors []specError `json:"errors"`
	}{[]specError{{code, msg}}})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}
