package cluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// FollowLogs writes the suite container's log of m to w as it grows: it
// waits for the pod and its container to start, follows the log, and on a
// dropped stream reconnects from the last line's second (SinceTime) and
// skips the lines already written (by their timestamps, which it asks the
// kubelet for and strips). It returns nil once the container has
// terminated and its log is drained, ctx's error when ctx ends, and an
// error naming the pod when it disappears.
func FollowLogs(ctx context.Context, cs kubernetes.Interface, r Run, m Member, w io.Writer) error {
	r = r.Defaulted()
	var name string
	f := logFollower{
		retry: time.Second,
		state: func(ctx context.Context) (logState, error) {
			p, err := memberPod(ctx, cs, r, m)
			switch {
			case err != nil:
				return 0, err
			case p == nil && name != "":
				return 0, fmt.Errorf("cluster: %s: pod %s is gone: its log ends here", m, name)
			case p == nil:
				return logWaiting, nil
			}
			name = p.Name
			st := suiteStatus(p)
			switch {
			case st != nil && st.State.Terminated != nil:
				return logEnded, nil
			case p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded:
				return logEnded, nil // ended without running the container
			case st != nil && st.State.Running != nil:
				return logRunning, nil
			}
			return logWaiting, nil
		},
		open: func(ctx context.Context, since *metav1.Time) (io.ReadCloser, error) {
			return cs.CoreV1().Pods(r.Namespace).GetLogs(name, &corev1.PodLogOptions{
				Container: "suite", Follow: true, Timestamps: true, SinceTime: since}).Stream(ctx)
		},
	}
	return f.follow(ctx, w)
}

// logState is the suite container's state, as far as its log goes.
type logState int

const (
	logWaiting logState = iota // no pod yet, or the container not started
	logRunning
	logEnded // terminated: its log is complete
)

// logFollower follows one container's log through reconnections.
type logFollower struct {
	state func(context.Context) (logState, error)
	open  func(ctx context.Context, since *metav1.Time) (io.ReadCloser, error)
	retry time.Duration

	last    time.Time // timestamp of the last line written
	atLast  int       // lines written with that timestamp
	partial string    // a line cut by a dropped stream, not yet written
}

func (f *logFollower) follow(ctx context.Context, w io.Writer) error {
	quick := false // the last stream ended cleanly: look again at once
	endedFailures := 0
	for {
		st, err := f.state(ctx)
		if err != nil {
			return err
		}
		if st != logWaiting {
			var since *metav1.Time
			if !f.last.IsZero() {
				since = &metav1.Time{Time: f.last}
			}
			rc, err := f.open(ctx, since)
			if err == nil {
				err = f.copy(rc, w)
				rc.Close()
			}
			var werr *writeError
			switch {
			case errors.As(err, &werr):
				return werr.err
			case st == logEnded && err == nil:
				// Opened after the end: the whole log was read.
				if f.partial != "" {
					_, err := io.WriteString(w, f.partial)
					f.partial = ""
					return err
				}
				return nil
			case ctx.Err() != nil:
				return ctx.Err()
			case err == nil && !quick:
				// The stream ended: the container did, or the connection
				// dropped.
				quick = true
				continue
			case err != nil && st == logEnded:
				if endedFailures++; endedFailures == 3 {
					return fmt.Errorf("cluster: read the ended suite container's log: %w", err)
				}
			}
		}
		quick = false
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(f.retry):
		}
	}
}

// writeError is a failed write to the follower's writer: it ends the
// follow.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }

// copy writes rc's complete lines to w, without their timestamps and
// without the lines written before (a stream reopened from SinceTime
// repeats the last second). A line without a readable timestamp is
// written as it is. It returns nil at the end of the stream.
func (f *logFollower) copy(rc io.Reader, w io.Writer) error {
	br := bufio.NewReaderSize(rc, 64<<10)
	seen := map[time.Time]int{} // lines per timestamp in this stream
	for {
		line, err := br.ReadString('\n')
		if line != "" && !strings.HasSuffix(line, "\n") {
			// Cut off: written complete from the next stream, or at the end.
			if ts, text, ok := splitTimestamp(line); ok && f.isNew(ts, seen[ts]) {
				f.partial = text
			} else if !ok {
				f.partial = line
			}
			line = ""
		}
		if line != "" {
			text := line
			if ts, t, ok := splitTimestamp(line); ok {
				n := seen[ts]
				seen[ts] = n + 1
				if !f.isNew(ts, n) {
					continue
				}
				text = t
				if ts.Equal(f.last) {
					f.atLast++
				} else {
					f.last, f.atLast = ts, 1
				}
			}
			f.partial = ""
			if _, werr := io.WriteString(w, text); werr != nil {
				return &writeError{werr}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// isNew tells whether the n-th line (from 0) of this stream stamped ts
// has not been written yet.
func (f *logFollower) isNew(ts time.Time, n int) bool {
	switch {
	case ts.After(f.last):
		return true
	case ts.Equal(f.last):
		return n >= f.atLast
	}
	return false
}

// splitTimestamp splits the kubelet's "<RFC 3339 nano> " prefix off line.
func splitTimestamp(line string) (time.Time, string, bool) {
	stamp, text, ok := strings.Cut(line, " ")
	if !ok {
		return time.Time{}, line, false
	}
	ts, err := time.Parse(time.RFC3339Nano, stamp)
	if err != nil {
		return time.Time{}, line, false
	}
	return ts, text, true
}
