// Package hostrun runs the node e2e suite on one host over ssh, step by
// step, each step a bounded child process: create a workspace (mktemp -d),
// copy the archive, unpack it, install the node's packages (optional), run
// the suite as root, collect the report directory into
// <results dir>/<host>/, and remove the workspace. It decides the host's
// result from the suite's exit status and its JUnit report together, and
// prints one progress line per step as it happens.
//
// Run never holds up other hosts: every step has a deadline, a step that
// passes it is killed (its whole process group) and reported by name, and
// what can still be fetched is fetched.
package hostrun
