// Package runnertest holds what the tests of runner/local and
// runner/remote share: the repository's root and a buffer for a child's
// output that a test reads while the child writes.
package runnertest
