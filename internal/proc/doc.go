// Package proc runs the harness's child processes: each in its own process
// group, with a parent-death signal, its output in its own log file, and a
// Stop that sends SIGTERM, waits a bounded time, then kills the whole group.
//
// It also holds the small polling and log-tail helpers that every service
// uses to report readiness and failures.
package proc
