package cluster

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// scriptedLog plays the kubelet: each open returns the next stream (the
// lines at or after SinceTime's second, as the kubelet does), ending with
// its error (nil: a clean end).
type scriptedLog struct {
	lines   []string // "<RFC 3339 nano> text\n", the container's whole log
	streams []struct {
		upTo int    // lines[...upTo] are in the log when this stream is opened
		cut  string // a partial line after them, then the stream drops
		err  error
	}
	states []logState // state per call; the last one repeats
	calls  int
	since  []string
}

func (s *scriptedLog) state(context.Context) (logState, error) {
	st := s.states[min(s.calls, len(s.states)-1)]
	s.calls++
	return st, nil
}

func (s *scriptedLog) open(_ context.Context, since *metav1.Time) (io.ReadCloser, error) {
	if len(s.streams) == 0 {
		return nil, errors.New("no more streams scripted")
	}
	st := s.streams[0]
	s.streams = s.streams[1:]
	var b strings.Builder
	sinceSec := time.Time{}
	if since != nil {
		// SinceTime goes over the wire with second precision.
		sinceSec = since.Time.Truncate(time.Second)
		s.since = append(s.since, since.UTC().Format(time.RFC3339Nano))
	} else {
		s.since = append(s.since, "")
	}
	for _, l := range s.lines[:st.upTo] {
		ts, _, _ := splitTimestamp(l)
		if !ts.Before(sinceSec) {
			b.WriteString(l)
		}
	}
	b.WriteString(st.cut)
	return io.NopCloser(io.MultiReader(strings.NewReader(b.String()), errReader{st.err})), nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) {
	if e.err == nil {
		return 0, io.EOF
	}
	return 0, e.err
}

func stamp(sec float64, text string) string {
	t := time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC).Add(time.Duration(sec * float64(time.Second)))
	return t.Format(time.RFC3339Nano) + " " + text + "\n"
}

func TestFollowReconnectsWithoutDuplicates(t *testing.T) {
	lines := []string{stamp(0.1, "a"), stamp(0.2, "b"), stamp(0.2, "b2"), stamp(1.5, "c"), stamp(1.6, "d-long-line"), stamp(2, "e"), stamp(2.5, "f")}
	s := &scriptedLog{lines: lines, states: []logState{logRunning, logRunning, logRunning, logEnded}}
	s.streams = append(s.streams,
		struct {
			upTo int
			cut  string
			err  error
		}{2, "", io.ErrUnexpectedEOF}, // dropped between the two lines of second 0.2
		struct {
			upTo int
			cut  string
			err  error
		}{4, lines[4][:len(lines[4])-5], nil}, // cut in the middle of d, then a clean end
		struct {
			upTo int
			cut  string
			err  error
		}{6, "", errors.New("http2: stream closed")},
		struct {
			upTo int
			cut  string
			err  error
		}{7, "", nil}) // after the end: everything
	f := logFollower{state: s.state, open: s.open, retry: time.Millisecond}
	var out strings.Builder
	if err := f.follow(t.Context(), &out); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "a\nb\nb2\nc\nd-long-line\ne\nf\n"; got != want {
		t.Errorf("followed log %q, want %q", got, want)
	}
	if want := []string{"", "2026-11-30T05:00:00.2Z", "2026-11-30T05:00:01.5Z", "2026-11-30T05:00:02Z"}; strings.Join(s.since, ",") != strings.Join(want, ",") {
		t.Errorf("SinceTime per open %q, want %q", s.since, want)
	}
}

func TestFollowWaitsForTheContainer(t *testing.T) {
	s := &scriptedLog{lines: []string{stamp(1, "hello")}, states: []logState{logWaiting, logWaiting, logEnded}}
	s.streams = append(s.streams, struct {
		upTo int
		cut  string
		err  error
	}{1, "", nil})
	f := logFollower{state: s.state, open: s.open, retry: time.Millisecond}
	var out strings.Builder
	if err := f.follow(t.Context(), &out); err != nil || out.String() != "hello\n" || len(s.since) != 1 {
		t.Errorf("follow = %v, %q after %d opens", err, out.String(), len(s.since))
	}
}

func TestFollowEndsWithTheContext(t *testing.T) {
	s := &scriptedLog{states: []logState{logWaiting}}
	f := logFollower{state: s.state, open: s.open, retry: time.Millisecond}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := f.follow(ctx, io.Discard); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("follow = %v, want the context's error", err)
	}
}

func TestFollowGivesUpOnAnEndedLogItCannotRead(t *testing.T) {
	s := &scriptedLog{states: []logState{logEnded}}
	f := logFollower{state: s.state, open: s.open, retry: time.Millisecond}
	if err := f.follow(t.Context(), io.Discard); err == nil || !strings.Contains(err.Error(), "no more streams scripted") {
		t.Errorf("follow = %v", err)
	}
}

// TestFollowLogsFakeClientset: FollowLogs finds the member's pod by its
// labels and reads its log (client-go's fake serves "fake logs").
func TestFollowLogsFakeClientset(t *testing.T) {
	r := testRun().Defaulted()
	p := endedPod(corev1.PodSucceeded, 0, "")
	p.Namespace = r.Namespace
	cs := fake.NewClientset(p)
	var out strings.Builder
	if err := FollowLogs(t.Context(), cs, r, Member{Node: "node-a"}, &out); err != nil || out.String() != "fake logs" {
		t.Errorf("FollowLogs = %v, %q", err, out.String())
	}
	// A pod that disappears while followed.
	running := p.DeepCopy()
	running.Status = corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "suite",
		State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}}
	cs = fake.NewClientset(running)
	go func() {
		time.Sleep(100 * time.Millisecond)
		_ = cs.CoreV1().Pods(r.Namespace).Delete(context.Background(), running.Name, metav1.DeleteOptions{})
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := FollowLogs(ctx, cs, r, Member{Node: "node-a"}, io.Discard); err == nil || !strings.Contains(err.Error(), "pod suite-node-a-0-abcde is gone") {
		t.Errorf("FollowLogs of a deleted pod = %v", err)
	}
}
