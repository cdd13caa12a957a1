package kubeletmode

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/node-e2e/harness/internal/proc"
)

// fakeKubelet is a Handle whose death the test decides.
type fakeKubelet struct {
	pid     int
	errCh   chan error
	mu      sync.Mutex
	stopped bool
}

func (f *fakeKubelet) Err() <-chan error { return f.errCh }
func (f *fakeKubelet) Describe() string  { return "fake" }
func (f *fakeKubelet) Pid() int          { return f.pid }
func (f *fakeKubelet) Stop() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = true
	return nil
}

// fakeLauncher hands out fakeKubelets and remembers them.
type fakeLauncher struct {
	mu       sync.Mutex
	launched []*fakeKubelet
	ch       chan *fakeKubelet
}

func newFakeLauncher() *fakeLauncher { return &fakeLauncher{ch: make(chan *fakeKubelet, 16)} }

func (l *fakeLauncher) launch() (Handle, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := &fakeKubelet{pid: 100 + len(l.launched), errCh: make(chan error, 1)}
	l.launched = append(l.launched, k)
	l.ch <- k
	return k, nil
}

func (l *fakeLauncher) next(t *testing.T) *fakeKubelet {
	t.Helper()
	select {
	case k := <-l.ch:
		return k
	case <-time.After(5 * time.Second):
		t.Fatal("no kubelet launched within 5s")
		return nil
	}
}

func supervise(ctx context.Context, l *fakeLauncher, s Supervision) <-chan error {
	done := make(chan error, 1)
	go func() { done <- Supervise(ctx, l.launch, s) }()
	return done
}

func TestSuperviseKubeletDeathWithoutRestartEndsIt(t *testing.T) {
	l := newFakeLauncher()
	done := supervise(context.Background(), l, Supervision{})
	k := l.next(t)
	k.errCh <- errors.New("kubelet exited unexpectedly (signal: killed)")
	err := <-done
	if err == nil || !strings.Contains(err.Error(), "signal: killed") || !strings.Contains(err.Error(), "--restart-kubelet") {
		t.Fatalf("err = %v, want the exit and a pointer to --restart-kubelet", err)
	}
	if !k.stopped || len(l.launched) != 1 {
		t.Errorf("stopped=%v launches=%d, want the dead kubelet stopped and not relaunched", k.stopped, len(l.launched))
	}
}

func TestSuperviseKubeletRestartsADeadKubelet(t *testing.T) {
	l := newFakeLauncher()
	ctx, cancel := context.WithCancel(context.Background())
	done := supervise(ctx, l, Supervision{Restart: true, Backoff: time.Millisecond})
	first := l.next(t)
	first.errCh <- errors.New("killed")
	second := l.next(t)
	if second == first {
		t.Fatal("the same kubelet came back")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("err = %v after cancel, want nil", err)
	}
	if !second.stopped {
		t.Error("the running kubelet was not stopped at the end")
	}
}

func TestSuperviseKubeletGivesUpOnACrashLoop(t *testing.T) {
	l := newFakeLauncher()
	done := supervise(context.Background(), l, Supervision{Restart: true, Backoff: time.Millisecond, MaxCrashes: 3, CrashWindow: time.Minute})
	for range 3 {
		l.next(t).errCh <- errors.New("bad flag")
	}
	err := <-done
	if err == nil || !strings.Contains(err.Error(), "3 times") || !strings.Contains(err.Error(), "bad flag") {
		t.Fatalf("err = %v, want a crash-loop error with the last exit", err)
	}
}

func TestSuperviseKubeletControlledRestart(t *testing.T) {
	l := newFakeLauncher()
	req := make(chan struct{})
	var pids []int
	var mu sync.Mutex
	ctx, cancel := context.WithCancel(context.Background())
	done := supervise(ctx, l, Supervision{RestartRequests: req, Launched: func(h Handle) {
		mu.Lock()
		pids = append(pids, h.Pid())
		mu.Unlock()
	}})
	first := l.next(t)
	req <- struct{}{}
	second := l.next(t)
	if !first.stopped {
		t.Error("a requested restart did not stop the old kubelet")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !second.stopped {
		t.Error("the second kubelet was not stopped")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(pids) != 2 || pids[0] == pids[1] {
		t.Errorf("Launched saw pids %v, want two distinct", pids)
	}
}

func TestSuperviseKubeletLaunchFailure(t *testing.T) {
	err := Supervise(context.Background(), func() (Handle, error) { return nil, errors.New("no such binary") }, Supervision{})
	if err == nil || !strings.Contains(err.Error(), "no such binary") {
		t.Fatalf("err = %v", err)
	}
}

func TestSuperviseKubeletAlarmEndsItEvenWithRestart(t *testing.T) {
	l := newFakeLauncher()
	done := supervise(context.Background(), l, Supervision{Restart: true, Backoff: time.Millisecond})
	k := l.next(t)
	alarm := &proc.Alarm{Name: "kubelet", Kind: "a panic", LogPath: "kubelet.log", Lines: []string{"panic: injected"}}
	k.errCh <- alarm
	select {
	case err := <-done:
		var a *proc.Alarm
		if !errors.As(err, &a) || a != alarm {
			t.Fatalf("err = %v, want the alarm", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a kubelet that printed a panic was not the end of kubelet mode")
	}
	if !k.stopped || len(l.launched) != 1 {
		t.Errorf("stopped=%v launches=%d, want the kubelet stopped and not relaunched", k.stopped, len(l.launched))
	}
}
