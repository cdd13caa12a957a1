// Package images builds the container images a node e2e run needs without a
// registry: the pod sandbox image (PauseImage, from our own pause program in
// ./pause), a BusyboxImage made from Debian's busybox-static, and the test
// image (TestImage, built by BuildTestImage from our own program in
// ./testimage: one static binary whose subcommands serve HTTP, gRPC health
// and TCP, exit with a status, write a termination message, allocate memory,
// log, sleep or pause, for the specs to run in pods). Programs are compiled
// statically and reproducibly by CompileProgram.
//
// Images are built with go-containerregistry and are reproducible: the same
// input binaries (and Go toolchain, which does the gzip) give the same
// manifest digest. Every tar entry has mtime at the Unix epoch, owner 0:0 and
// no user or group names, entries are sorted, and the image config carries
// no build time or host-dependent field except the architecture.
//
// BuildAll builds PauseImage and BusyboxImage and writes them into one
// docker-archive tarball (WriteArchive); Import loads that tarball into
// containerd's k8s.io namespace with ctr, where the kubelet's CRI finds them
// by reference. The test image is not in that archive: BuildTestImage
// returns it for the caller to name and serve.
package images
