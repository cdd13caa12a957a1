// Package pki generates, once per run, every credential the harness needs to
// bring up etcd, kube-apiserver and the kubelet on loopback: a throw-away CA,
// serving certificates for etcd, the API server and the kubelet, the client
// certificates the API server presents to etcd and to the kubelet (etcd
// admits only clients with a certificate from this CA), the service-account
// signing key pair, and the static token file holding an admin token and a
// node token.
//
// Generate writes the bundle into a private directory (mode 0700, files
// 0600); Load reads it back in a re-executed child process. Kubeconfigs are
// built separately by Kubeconfig and WriteKubeconfig, because the API
// server's URL is only known once it listens.
//
// Tokens are secrets: they never appear in errors, and Config and Bundle
// redact them when printed.
package pki
