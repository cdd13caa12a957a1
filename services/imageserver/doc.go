// Package imageserver is the suite's image registry: it builds the suite's
// images (package images) and serves them from an in-process registry
// (services/registry) on loopback, naming each by digest. It runs in the
// services process, beside the control plane (the default mode and
// standalone services mode), and in the suite's first process when it
// tests a node it did not start without --image-registry.
package imageserver
