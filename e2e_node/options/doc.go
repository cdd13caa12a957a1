// Package options holds every flag of e2e_node.test in one Config, binds
// them (AddFlags), checks them (Validate, and Preflight against the host),
// and derives from them the command lines and node configuration of a run.
//
// It is kept apart from the e2e_node package, which links the API server and
// Ginkgo, so that its unit tests build and run in seconds.
package options
