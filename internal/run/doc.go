// Package run describes one harness run on disk: the run directory's layout
// (every file and directory the run creates lives under it), the report
// directory's log files, and the small JSON state files through which the
// harness's processes (default mode, services mode, kubelet mode) find each
// other.
package run
