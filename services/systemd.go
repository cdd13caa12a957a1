package services

import "github.com/node-e2e/harness/internal/systemd"

// stopUnit stops unit when this host runs systemd; without systemd there is
// no unit to stop.
func stopUnit(unit string) error {
	if !BootedWithSystemd("/") {
		return nil
	}
	return systemd.Stop(unit)
}
