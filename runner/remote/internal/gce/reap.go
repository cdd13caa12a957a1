package gce

import (
	"context"
	"errors"
	"sort"
	"time"
)

// Reap deletes a run's instances: those the ledger (if any) lists as not
// deleted, and those the API lists with the run's label. Each is deleted
// only if its label says it is the run's (see Compute.Delete): a ledger
// name now held by another's instance is left alone, recorded so in the
// ledger, and is not an error. Reap records each deletion in the ledger,
// calls report for each instance as its deletion ends, one call at a time
// (err is a *NotOursError for one left alone), and returns the names it deleted (or found already gone) and
// those it left alone.
func Reap(ctx context.Context, g *Compute, l *Ledger, runID string, report func(name string, d time.Duration, err error)) (deleted, leftAlone []string, err error) {
	seen := map[string]bool{}
	var names []string
	if l != nil {
		for _, n := range l.Data().Live() {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	var errs []error
	if runID != "" {
		listed, err := g.ListRun(ctx, runID)
		if err != nil {
			errs = append(errs, err)
		}
		for _, n := range listed {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	type outcome struct {
		name string
		took time.Duration
		err  error
	}
	results := make(chan outcome)
	for _, n := range names {
		go func() {
			start := time.Now()
			err := g.Delete(ctx, n)
			results <- outcome{n, time.Since(start), err}
		}()
	}
	for range names {
		o := <-results
		if report != nil {
			report(o.name, o.took, o.err)
		}
		var notOurs *NotOursError
		switch {
		case errors.As(o.err, &notOurs):
			leftAlone = append(leftAlone, o.name)
			if l != nil {
				if err := l.LeftAlone(o.name, notOurs.Error()); err != nil {
					errs = append(errs, err)
				}
			}
		case o.err != nil:
			errs = append(errs, o.err)
		default:
			deleted = append(deleted, o.name)
			if l != nil {
				if err := l.Deleted(o.name); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	sort.Strings(deleted)
	sort.Strings(leftAlone)
	return deleted, leftAlone, errors.Join(errs...)
}
