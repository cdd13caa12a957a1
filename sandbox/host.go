package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
)

// hostInfo is what Boot learns about the host before it changes anything.
type hostInfo struct {
	nsenter    string
	cgroups    cgroupLayout
	masked     []string
	generators []string
}

// inspectHost checks that the host can run the sandbox cfg describes and
// gathers what the plan needs. It changes nothing.
func inspectHost(cfg Config) (hostInfo, error) {
	var h hostInfo
	if euid := os.Geteuid(); euid != 0 {
		return h, fmt.Errorf("must run as root (effective uid is %d)", euid)
	}
	if err := checkExecutable(cfg.Systemd); err != nil {
		return h, fmt.Errorf("systemd binary: %w (is the systemd package installed?)", err)
	}
	if err := checkExecutable(cfg.Reexec); err != nil {
		return h, fmt.Errorf("second-stage binary: %w", err)
	}
	nsenter, err := exec.LookPath(cfg.Nsenter)
	if err != nil {
		return h, fmt.Errorf("nsenter (util-linux): %w", err)
	}
	h.nsenter = nsenter
	for _, b := range cfg.Binds {
		if _, err := os.Stat(b.Source); err != nil {
			return h, fmt.Errorf("bind %s: source: %w", b, err)
		}
	}
	mountinfo, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return h, err
	}
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return h, err
	}
	if h.cgroups, err = planCgroups(mountinfo, own, cfg.Name); err != nil {
		return h, err
	}
	h.masked = MaskedUnits(listNames(unitDirs), cfg.MaskUnits)
	h.generators = listNames(generatorDirs)
	return h, nil
}

func checkExecutable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", path)
	}
	return nil
}

// newMachineID returns a random machine id (32 lowercase hex digits).
func newMachineID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("machine id: %w", err)
	}
	return hex.EncodeToString(b), nil
}
