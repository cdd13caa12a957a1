// Package janitor is e2e_node.test's janitor mode (--janitor-at,
// --janitor-delete): it sleeps until a run's expiry, then deletes a list
// of API objects by path, in order, with a ServiceAccount token it
// re-reads on every attempt. runner/remote's cluster mode runs it in a
// pod of each run, so a run whose runner never came back is deleted by
// the cluster itself once its TTL has passed.
//
// It needs nothing but net/http: the API paths come from the caller, and
// the suite image's busybox cannot send a DELETE over TLS to a current API
// server (no DELETE in wget; ssl_client lacks the TLS 1.2 extensions Go
// servers require).
package janitor
