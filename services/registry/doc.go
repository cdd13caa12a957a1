// Package registry runs the harness's own OCI registry in-process, on
// loopback, so that specs exercise the node's real image-pull path: the
// kubelet asks containerd over CRI, containerd resolves and fetches from
// 127.0.0.1:<port>/<repo>@<digest> over plain HTTP.
//
// The registry is go-containerregistry's pkg/registry (manifests and blobs
// kept in memory) behind two small middlewares:
//
//   - basic authentication for every write (any method but GET and HEAD:
//     blob uploads, manifest PUTs, deletes), so that no local user can
//     replace an image the specs run, and for every read of a /v2/<name>/...
//     repository whose name starts with Config.PrivatePrefix ("private/" by
//     default), so specs can test imagePullSecrets. Anonymous clients may
//     only read public repositories; /v2/ itself answers GET without
//     credentials. Push always sends the credentials. A refused request
//     gets 401 with `WWW-Authenticate: Basic realm="node-e2e"` and a
//     distribution-spec error body (code UNAUTHORIZED). Credentials are
//     compared in constant time.
//   - a request log: one line per request (method, path, status, bytes,
//     duration) to Config.LogWriter. Headers, and so credentials, are never
//     logged.
//
// Only manifests (image names and tags) are private: blobs are stored by
// digest and shared between repositories, as in any registry that mounts
// blobs across repositories, so a client that already knows a layer digest
// can fetch it through a public repository name.
//
// Lifecycle: New, Start (binds the listener first, so a port in use fails at
// once with a message naming --registry-port), Host, Ref and DigestRef to
// name images (the harness's specs use digest references, which a pull
// verifies whatever a tag points at), Push and PushAll to load images, Stop
// (graceful, bounded, idempotent, waits for the serving goroutine). Err
// reports a serving failure after Start.
//
// containerd (1.6 and later) needs to be told that the registry speaks plain
// HTTP: point the CRI plugin's registry config_path at a directory and call
// WriteHostsDir(dir, reg.Host()), which writes <dir>/<host:port>/hosts.toml
// (see HostsTOML).
package registry
