package report

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// The browser tests open report.html in Debian's headless Chromium
// (hack/install-deps.sh installs it), driven over the DevTools protocol by
// chromedp. They need neither root nor a node, only /usr/bin/chromium.
//
// REPORT_SCREENSHOT=docs/report.png writes the screenshot for the README;
// REPORT_SCREENSHOT_DIR=<report dir> takes it of that directory's page (a
// real run's) instead of the fixture's.

const chromiumPath = "/usr/bin/chromium"

// browser starts a fresh headless Chromium for the test.
func browser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("browser test: %s is missing (install Debian's chromium package: hack/install-deps.sh does)", chromiumPath)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)
	// Start the browser now, so that page timings leave out its start.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	return ctx
}

// session is a page opened in the browser, with what it asked for and
// what it said.
type session struct {
	mu       sync.Mutex
	requests []string // every request the browser sent
	served   []string // every path the server was asked for
	console  []string // console errors and uncaught exceptions
	loadMS   float64  // navigation start to the end of the load event
}

func (s *session) add(list *[]string, v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*list = append(*list, v)
}

// open serves dir on loopback and opens its report.html.
func open(t *testing.T, ctx context.Context, dir string) (*session, string) {
	t.Helper()
	s := &session{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.add(&s.served, r.URL.Path)
		http.FileServer(http.Dir(dir)).ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	pageURL := srv.URL + "/" + PageFile

	lctx, stop := context.WithCancel(ctx)
	t.Cleanup(stop)
	if err := chromedp.Listen(lctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && e.Request != nil {
			s.add(&s.requests, e.Request.URL)
		}
	}); err != nil {
		t.Fatal(err)
	}
	messages := chromedp.Console(lctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				s.add(&s.console, m.String())
			}
		}
	}()
	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL)); err != nil {
		t.Fatalf("open %s: %v", pageURL, err)
	}
	load, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`(() => { const n = performance.getEntriesByType("navigation")[0]; return n.loadEventEnd - n.startTime; })()`))
	if err != nil {
		t.Fatalf("read the navigation timing: %v", err)
	}
	s.loadMS = load
	return s, pageURL
}

// assertQuiet checks that the page asked for nothing but itself and logged
// no error. Call it after the interactions.
func (s *session) assertQuiet(t *testing.T, pageURL string) {
	t.Helper()
	time.Sleep(200 * time.Millisecond) // let late events arrive
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.requests {
		if r != pageURL {
			t.Errorf("the page made a network request: %s", r)
		}
	}
	if len(s.requests) == 0 {
		t.Error("no network event seen even for the page itself: is the listener working?")
	}
	for _, p := range s.served {
		if p != "/"+PageFile {
			t.Errorf("the server was asked for %s", p)
		}
	}
	for _, m := range s.console {
		t.Errorf("console: %s", m)
	}
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func TestBrowserPage(t *testing.T) {
	ctx := browser(t)
	dir := t.TempDir()
	f := manyFixture(150, 2)
	writeFixture(t, dir, f)
	if _, err := Generate(dir); err != nil {
		t.Fatal(err)
	}
	s, pageURL := open(t, ctx, dir)
	t.Logf("page loaded in %.0f ms", s.loadMS)
	if s.loadMS <= 0 || s.loadMS >= 1000 {
		t.Errorf("page load took %.0f ms, want under 1 s", s.loadMS)
	}

	// One bar per spec, each inside its process's lane as drawn.
	type barPos struct {
		Name   string  `json:"name"`
		Lane   int     `json:"lane"`
		Top    float64 `json:"top"`
		Bottom float64 `json:"bottom"`
		Width  float64 `json:"width"`
	}
	bars := eval[[]barPos](t, ctx, `[...document.querySelectorAll("svg.timeline rect.spec")].map(b => {
		const r = b.getBoundingClientRect();
		return {name: b.dataset.name, lane: +b.dataset.lane, top: r.top, bottom: r.bottom, width: r.width};
	})`)
	lanes := eval[[][2]float64](t, ctx, `[...document.querySelectorAll("svg.timeline rect.lane")].map(l => { const r = l.getBoundingClientRect(); return [r.top, r.bottom]; })`)
	if len(lanes) != 2 {
		t.Fatalf("%d lanes drawn, want 2", len(lanes))
	}
	want := map[string]int{}
	for _, sp := range f.Specs {
		if sp.Kind == "" {
			want[strings.Join(sp.Texts, " ")] = sp.Proc
		}
	}
	if len(bars) != len(want) {
		t.Errorf("%d spec bars, want %d", len(bars), len(want))
	}
	for _, b := range bars {
		if want[b.Name] != b.Lane {
			t.Errorf("bar %q in lane %d, want %d", b.Name, b.Lane, want[b.Name])
			continue
		}
		l := lanes[b.Lane-1]
		if b.Top < l[0] || b.Bottom > l[1] || b.Width <= 0 {
			t.Errorf("bar %q drawn at y %.1f-%.1f (width %.1f), outside its lane %d at %.1f-%.1f", b.Name, b.Top, b.Bottom, b.Width, b.Lane, l[0], l[1])
		}
	}

	// Clicking a failed spec's bar opens its failure with the log excerpt.
	failID := eval[string](t, ctx, `document.querySelector("svg.timeline rect.spec.st-failed").dataset.failure`)
	excerptShown := fmt.Sprintf(`(() => { const d = document.getElementById(%q), p = d && d.querySelector(".excerpt pre"); return !!p && d.open && p.checkVisibility() && p.getBoundingClientRect().height > 20; })()`, failID)
	if eval[bool](t, ctx, excerptShown) {
		t.Fatalf("the excerpt of %s shows before any click: the click test would prove nothing", failID)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("svg.timeline rect.spec.st-failed"))); err != nil {
		t.Fatalf("click the failed spec: %v", err)
	}
	if !eval[bool](t, ctx, excerptShown) {
		t.Errorf("after clicking the failed spec, its log excerpt (#%s) is not shown", failID)
	}
	excerpt := eval[string](t, ctx, fmt.Sprintf(`document.getElementById(%q).querySelector(".excerpt").innerText`, failID))
	name := eval[string](t, ctx, `document.querySelector("svg.timeline rect.spec.st-failed").dataset.name`)
	var ns string
	for _, sp := range f.Specs {
		if strings.Join(sp.Texts, " ") == name {
			ns = sp.Namespace
		}
	}
	if ns == "" || !strings.Contains(excerpt, ns) || !strings.Contains(excerpt, "kubelet.log") {
		t.Errorf("the excerpt shown does not name the spec's namespace %q and link kubelet.log:\n%s", ns, excerpt)
	}
	if d := eval[string](t, ctx, `document.getElementById("detail").innerText`); !strings.Contains(d, name) {
		t.Errorf("the detail panel shows %q, want the clicked spec %q", d, name)
	}
	shot := screenshot(t, ctx, false)
	s.assertQuiet(t, pageURL)
	if os.Getenv("REPORT_SCREENSHOT_DIR") == "" {
		writeScreenshot(t, shot)
	}
}

// TestBrowserScreenshotOfRun opens the page of a real run's report
// directory (REPORT_SCREENSHOT_DIR) and takes the README's screenshot, of
// the whole page.
func TestBrowserScreenshotOfRun(t *testing.T) {
	dir := os.Getenv("REPORT_SCREENSHOT_DIR")
	if dir == "" {
		t.Skip("set REPORT_SCREENSHOT_DIR=<a run's report directory> (and REPORT_SCREENSHOT=<png path>)")
	}
	ctx := browser(t)
	if _, err := Generate(dir); err != nil {
		t.Fatal(err)
	}
	s, pageURL := open(t, ctx, dir)
	t.Logf("page of %s loaded in %.0f ms", dir, s.loadMS)
	if s.loadMS >= 1000 {
		t.Errorf("page load took %.0f ms, want under 1 s", s.loadMS)
	}
	shot := screenshot(t, ctx, true)
	s.assertQuiet(t, pageURL)
	writeScreenshot(t, shot)
}

// screenshot takes a PNG of the viewport, or of the whole page.
func screenshot(t *testing.T, ctx context.Context, fullPage bool) []byte {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`)); err != nil {
		t.Fatal(err)
	}
	shot := chromedp.CaptureScreenshot()
	if fullPage {
		shot = chromedp.FullScreenshot(100) // quality 100: PNG
	}
	b, err := chromedp.Run(ctx, shot)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if w := img.Bounds().Dx(); w < 800 {
		t.Errorf("screenshot is %d px wide", w)
	}
	path := filepath.Join(t.TempDir(), "report.png")
	os.WriteFile(path, b, 0o644)
	return b
}

func writeScreenshot(t *testing.T, b []byte) {
	t.Helper()
	if out := os.Getenv("REPORT_SCREENSHOT"); out != "" {
		if err := os.WriteFile(out, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d KiB)", out, len(b)>>10)
	}
}
