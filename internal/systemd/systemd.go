package systemd

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/node-e2e/harness/internal/proc"
)

// UnitState returns the unit's ActiveState (active, failed, inactive, ...).
func UnitState(ctx context.Context, unit string) string {
	out, _ := exec.CommandContext(ctx, "systemctl", "show", "--property=ActiveState", "--value", unit).Output()
	return strings.TrimSpace(string(out))
}

// Stop stops unit and waits for it (a slice: with every unit under it, and
// their processes). A unit that is not active afterwards counts as
// stopped, whatever systemctl said (an unknown unit is fine).
func Stop(unit string) error {
	out, err := exec.Command("systemctl", "stop", unit).CombinedOutput()
	if err != nil && UnitState(context.Background(), unit) == "active" {
		return fmt.Errorf("systemctl stop %s: %w: %s", unit, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// journalArgs is journalctl's command line for unit's journal: its last n
// lines, or all of it when n is 0.
func journalArgs(unit string, n int) []string {
	args := []string{"--no-pager", "-o", "short-precise", "-u", unit}
	if n > 0 {
		args = append(args, "-n", strconv.Itoa(n))
	}
	return args
}

// Journal returns unit's journal (the last n lines; all when n is 0). A
// journalctl failure is appended to what it printed, not returned: the
// journal is read to explain another error.
func Journal(unit string, n int) []byte {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "journalctl", journalArgs(unit, n)...).CombinedOutput()
	if err != nil {
		out = append(out, []byte("\njournalctl: "+err.Error()+"\n")...)
	}
	return out
}

// WithJournalTail returns err annotated with the last n lines of unit's
// journal, as proc.WithLogTail does with a log file.
func WithJournalTail(err error, unit string, n int) error {
	return fmt.Errorf("%w\n  kubelet journal: journalctl -u %s\n%s", err, unit, proc.Indent(strings.TrimRight(string(Journal(unit, n)), "\n"), "  | "))
}
