// Package gce creates and deletes the Compute Engine VMs runner/remote
// runs the suite on, through the Compute API (google.golang.org/api/compute/v1).
//
// It reads upstream's image config file (--image-config-file), resolves
// image families, creates one instance per image with the run's label
// (LabelKey=<run id>) and an external IP, waits until it runs, and deletes
// it. Every instance is written to a ledger file as soon as its creation
// is requested, so that a crashed run's instances can be found and
// deleted later (Reap), from the ledger and by label. Nothing is deleted
// unless its label says it is the run's: a name taken by another's
// instance is reported (NameTakenError), never deleted (NotOursError).
package gce
