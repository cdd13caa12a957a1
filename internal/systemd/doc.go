// Package systemd drives systemd units from the command line (systemctl,
// journalctl) for the two processes that meet them: the harness, which
// stops a run's units and quotes the kubelet's journal in its errors, and
// kubelet mode, which watches and stops the kubelet's transient unit.
package systemd
