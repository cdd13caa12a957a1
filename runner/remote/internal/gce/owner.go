package gce

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/googleapi"
)

// A run deletes only instances it created. An instance name can be taken
// by something else: a run sharing the --instance-name-prefix, a run
// given the same --run-id, a VM made by hand. So Create never deletes
// what it could not create (an insert refused because the name exists is
// a *NameTakenError, and the caller must not delete that name), and
// Delete first reads the instance's labels and leaves it alone (a
// *NotOursError) unless LabelKey is this run's id. What is left is the
// moment between that read and the delete call: the Compute API has no
// precondition on delete.

// NameTakenError says an instance could not be created because one of
// that name exists already: not this run's, and never to be deleted by
// it.
type NameTakenError struct {
	// Name, Project and Zone name the instance.
	Name, Project, Zone string
	// Labels are the existing instance's labels, when they could be read.
	Labels map[string]string
	// Err is the API's error.
	Err error
}

func (e *NameTakenError) Error() string {
	return fmt.Sprintf("gce: create instance %s: an instance of that name already exists in %s/%s (%s); it was not created by this run and is left alone: "+
		"pick another --instance-name-prefix, or delete it by hand if it is a leftover (gcloud compute instances delete %s --project %s --zone %s)",
		e.Name, e.Project, e.Zone, describeLabels(e.Labels), e.Name, e.Project, e.Zone)
}

func (e *NameTakenError) Unwrap() error { return e.Err }

// NotOursError says Delete left an instance alone because its labels do
// not say it is this run's.
type NotOursError struct {
	// Name is the instance's name; RunID this run's id.
	Name, RunID string
	// Labels are the instance's labels.
	Labels map[string]string
}

func (e *NotOursError) Error() string {
	return fmt.Sprintf("gce: instance %s is not this run's (%s, not %s=%s): left alone", e.Name, describeLabels(e.Labels), LabelKey, e.RunID)
}

// describeLabels says who an instance belongs to, by its labels.
func describeLabels(labels map[string]string) string {
	if labels == nil {
		return "labels unknown"
	}
	if len(labels) == 0 {
		return "no labels"
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if _, ok := labels[LabelKey]; ok {
		keys = []string{LabelKey}
	}
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+labels[k])
	}
	return "labelled " + strings.Join(parts, ",")
}

// isAlreadyExists reports whether err is the API refusing to create a
// resource whose name exists: HTTP 409, or an operation error
// RESOURCE_ALREADY_EXISTS.
func isAlreadyExists(err error) bool {
	var ge *googleapi.Error
	if errors.As(err, &ge) && ge.Code == http.StatusConflict {
		return true
	}
	return err != nil && strings.Contains(err.Error(), "RESOURCE_ALREADY_EXISTS")
}

// Create inserts the instance and waits for the insert operation. If an
// instance of that name exists, it returns a *NameTakenError: the name is
// someone else's, and the caller must not delete it.
func (g *Compute) Create(ctx context.Context, inst *compute.Instance) error {
	ctx, cancel := context.WithTimeout(ctx, g.cfg.Timeout)
	defer cancel()
	op, err := g.svc.Instances.Insert(g.cfg.Project, g.cfg.Zone, inst).Context(ctx).Do()
	if err == nil {
		err = g.wait(ctx, op)
	}
	switch {
	case isAlreadyExists(err):
		taken := &NameTakenError{Name: inst.Name, Project: g.cfg.Project, Zone: g.cfg.Zone, Err: err}
		if other, gerr := g.svc.Instances.Get(g.cfg.Project, g.cfg.Zone, inst.Name).Context(ctx).Do(); gerr == nil {
			taken.Labels = other.Labels
			if taken.Labels == nil {
				taken.Labels = map[string]string{}
			}
		}
		return taken
	case err != nil:
		return fmt.Errorf("gce: create instance %s: %w", inst.Name, err)
	}
	return nil
}

// Delete deletes the instance and waits for it to go, if it is this
// run's: labelled LabelKey=<run id>. Another's is left alone, with a
// *NotOursError. An instance that is already gone is not an error.
func (g *Compute) Delete(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, g.cfg.Timeout)
	defer cancel()
	inst, err := g.svc.Instances.Get(g.cfg.Project, g.cfg.Zone, name).Context(ctx).Do()
	if IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("gce: delete instance %s: read its labels: %w", name, err)
	}
	if inst.Labels[LabelKey] != g.cfg.RunID {
		labels := inst.Labels
		if labels == nil {
			labels = map[string]string{}
		}
		return &NotOursError{Name: name, RunID: g.cfg.RunID, Labels: labels}
	}
	op, err := g.svc.Instances.Delete(g.cfg.Project, g.cfg.Zone, name).Context(ctx).Do()
	if IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("gce: delete instance %s: %w", name, err)
	}
	if err := g.wait(ctx, op); err != nil && !IsNotFound(err) {
		return fmt.Errorf("gce: delete instance %s: %w", name, err)
	}
	return nil
}
