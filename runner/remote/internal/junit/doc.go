// Package junit reads the JUnit XML reports Ginkgo writes (junit*.xml in a
// report directory) and counts passed, failed and skipped specs, so that
// runner/remote can tell a host's result from its report rather than from
// an exit code alone.
package junit
