// Package fakecompute is an in-memory stand-in for the parts of the
// Compute Engine API that runner/remote uses, for tests: instances
// insert, get, delete, list (with a labels.KEY=VALUE filter) and serial
// port output, zone operations get and wait, images getFromFamily and
// list. Operations finish at once; an instance reports STAGING for its
// first BootPolls gets, then RUNNING with external IP NatIP.
package fakecompute
