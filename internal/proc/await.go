package proc

import (
	"context"
	"time"
)

// Await calls cond every interval until it returns true or an error, or ctx
// ends. It returns cond's error, or ctx's error wrapped with the last
// condition error seen, if any.
func Await(ctx context.Context, interval time.Duration, cond func() (bool, error)) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-t.C:
		}
	}
}
