package gce

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/node-e2e/harness/internal/run"
)

// LedgerFile is the name of the ledger in the results directory.
const LedgerFile = "instances.json"

// Ledger records the instances a run asked for, on disk, before each is
// created and again when it is deleted, so that a run that dies leaves a
// list of what to delete (see Reap).
type Ledger struct {
	mu   sync.Mutex
	path string
	data LedgerData
}

// LedgerData is the ledger file's content.
type LedgerData struct {
	// RunID is the run's id, the value of LabelKey on its instances.
	RunID string `json:"runID"`
	// Project, Zone and Endpoint say where the instances are.
	Project  string `json:"project"`
	Zone     string `json:"zone"`
	Endpoint string `json:"endpoint,omitempty"`
	// Instances are the instances, in the order they were requested.
	Instances []LedgerEntry `json:"instances"`
}

// LedgerEntry is one instance.
type LedgerEntry struct {
	Name      string     `json:"name"`
	Image     string     `json:"image"`
	Requested time.Time  `json:"requested"`
	Deleted   *time.Time `json:"deleted,omitempty"`
	// LeftAlone, when set, says why the run did not create or delete the
	// instance of this name: it is not the run's (see NameTakenError,
	// NotOursError), and nothing is to be done about it.
	LeftAlone string `json:"leftAlone,omitempty"`
}

// OpenLedger opens the ledger at path for a run, creating it if needed.
// An existing ledger of another run is an error: one results directory
// per run.
func OpenLedger(path string, d LedgerData) (*Ledger, error) {
	l := &Ledger{path: path}
	old, err := ReadLedger(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		l.data = d
		l.data.Instances = nil
		return l, l.save()
	case err != nil:
		return nil, err
	case old.RunID != d.RunID:
		return nil, fmt.Errorf("ledger %s belongs to run %s, not %s: use a new results directory, or reap that run first", path, old.RunID, d.RunID)
	}
	l.data = old
	return l, nil
}

// ReadLedger reads a ledger file.
func ReadLedger(path string) (LedgerData, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return LedgerData{}, err
	}
	var d LedgerData
	if err := json.Unmarshal(b, &d); err != nil {
		return LedgerData{}, fmt.Errorf("ledger %s: %w", path, err)
	}
	return d, nil
}

// Path returns the ledger file's path.
func (l *Ledger) Path() string { return l.path }

// Data returns a copy of the ledger's content.
func (l *Ledger) Data() LedgerData {
	l.mu.Lock()
	defer l.mu.Unlock()
	d := l.data
	d.Instances = append([]LedgerEntry(nil), l.data.Instances...)
	return d
}

// Requested records that instance name is about to be created.
func (l *Ledger) Requested(name, image string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, e := range l.data.Instances {
		if e.Name == name {
			l.data.Instances[i].Deleted, l.data.Instances[i].LeftAlone = nil, ""
			return l.save()
		}
	}
	l.data.Instances = append(l.data.Instances, LedgerEntry{Name: name, Image: image, Requested: time.Now().UTC()})
	return l.save()
}

// Deleted records that instance name is gone.
func (l *Ledger) Deleted(name string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now().UTC()
	for i, e := range l.data.Instances {
		if e.Name == name && e.Deleted == nil {
			l.data.Instances[i].Deleted = &now
		}
	}
	return l.save()
}

// LeftAlone records that the instance of this name is not the run's
// (the name was taken, or its labels are another run's), and why.
func (l *Ledger) LeftAlone(name, why string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, e := range l.data.Instances {
		if e.Name == name && e.Deleted == nil {
			l.data.Instances[i].LeftAlone = why
		}
	}
	return l.save()
}

// Live returns the instances the run may have created and not deleted:
// neither recorded as deleted nor left alone.
func (d LedgerData) Live() []string {
	var out []string
	for _, e := range d.Instances {
		if e.Deleted == nil && e.LeftAlone == "" {
			out = append(out, e.Name)
		}
	}
	return out
}

// save writes the ledger atomically: a crash leaves the old or the new
// version, never half of one.
func (l *Ledger) save() error {
	b, err := json.MarshalIndent(l.data, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(l.path), 0o755); err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	if err := run.WriteFile(l.path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	return nil
}
