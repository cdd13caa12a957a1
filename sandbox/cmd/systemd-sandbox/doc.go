// Command systemd-sandbox boots Debian's real systemd as PID 1 in private
// namespaces (package sandbox), runs one command inside it, powers it off
// and exits with the command's exit code.
//
//	systemd-sandbox run [flags] -- CMD [ARGS...]
//	systemd-sandbox shell [flags]
//
// It must run as root on a host with the cgroup v1 hybrid layout.
package main
