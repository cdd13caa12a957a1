// Package images builds the container images a node e2e run uses, from
// source in this repository and Debian packages, never from a registry: the
// pod sandbox image (from our own pause program in ./pause), a busybox image
// made from Debian's busybox-static, and the test image (our own program in
// ./testimage: one static binary whose subcommands serve HTTP, gRPC health
// and TCP, exit with a status, write a termination message, allocate memory,
// log, sleep or pause). Programs are compiled statically and reproducibly by
// CompileProgram. BuildSuite builds them all, keyed by the names in refs.go;
// the harness serves them from its own registry (services/registry) under
// the repositories in Repos.
//
// Images are reproducible: the same input binaries (and Go toolchain, which
// does the gzip) give the same manifest digest. Every tar entry has mtime at
// the Unix epoch, owner 0:0 and no user or group names, entries are sorted,
// and the image config carries no build time or host-dependent field except
// the architecture.
//
// WriteArchive writes images into a docker-archive tarball and Import loads
// one into containerd's k8s.io namespace with ctr: the harness does that for
// a runtime it did not configure (--container-runtime-endpoint).
package images
