package proc

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Await calls cond every interval until it returns true or an error, or ctx
// ends. cond returns false, nil to be called again; false, NotYet(err) to be
// called again, with err as the reason it is not met yet; any other error
// stops the wait. Await returns that error, or, when ctx ends, ctx's cause
// wrapped with the last NotYet error seen, if any (errors.Is finds both).
func Await(ctx context.Context, interval time.Duration, cond func() (bool, error)) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	var last error
	for {
		ok, err := cond()
		var ny notYet
		switch {
		case errors.As(err, &ny):
			last = ny.err
		case err != nil:
			return err
		case ok:
			return nil
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("%w (last: %w)", context.Cause(ctx), last)
			}
			return context.Cause(ctx)
		case <-t.C:
		}
	}
}

// NotYet marks err, returned by an Await condition, as why the condition
// is not met yet rather than a reason to stop. NotYet(nil) is nil.
func NotYet(err error) error {
	if err == nil {
		return nil
	}
	return notYet{err}
}

type notYet struct{ err error }

func (e notYet) Error() string { return e.err.Error() }
func (e notYet) Unwrap() error { return e.err }
