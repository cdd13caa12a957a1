package cluster

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// fakeAPI serves what Collect reads: the run namespace's pods and, through
// the node proxy, the kubelet's /logs/.
type fakeAPI struct {
	t    *testing.T
	pods []corev1.Pod
	// report answers GET .../proxy/logs/<report>: a status, or 200 with
	// body.
	reportStatus int
	report       []byte
	// logsDir is the status of GET .../proxy/logs/ (the kubelet's listing
	// of /var/log).
	logsDir  int
	selector string
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	const reportPath = "/api/v1/nodes/node-a/proxy/logs/node-e2e/r20261130a/node-a-0/report.tar.gz"
	switch r.URL.Path {
	case "/api/v1/namespaces/node-e2e-r20261130a/pods":
		f.selector = r.URL.Query().Get("labelSelector")
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(corev1.PodList{TypeMeta: metav1.TypeMeta{Kind: "PodList", APIVersion: "v1"}, Items: f.pods})
	case reportPath:
		if f.reportStatus != http.StatusOK {
			http.Error(w, "logs endpoint is disabled.", f.reportStatus)
			return
		}
		w.Header().Set("Content-Type", "application/gzip")
		_, _ = w.Write(f.report)
	case "/api/v1/nodes/node-a/proxy/logs/":
		if f.logsDir != http.StatusOK {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte("<pre>\n<a href=\"node-e2e/\">node-e2e/</a>\n</pre>\n"))
	default:
		f.t.Errorf("unexpected request %s %s", r.Method, r.URL)
		http.NotFound(w, r)
	}
}

func fakeClient(t *testing.T, f *fakeAPI) kubernetes.Interface {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cs, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestCollect(t *testing.T) {
	good := goodReport(t)
	tampered := append([]byte{}, good...)
	tampered[100] ^= 1
	pod := *endedPod(corev1.PodSucceeded, 0, summaryOf(good, 0, 3, 0, 77))
	for _, c := range []struct {
		name           string
		api            fakeAPI
		pass           bool
		reason, err    string
		keptTarball    bool
		extractedJunit bool
	}{
		{name: "pass", api: fakeAPI{pods: []corev1.Pod{pod}, reportStatus: 200, report: good}, pass: true, extractedJunit: true},
		{name: "tampered", api: fakeAPI{pods: []corev1.Pod{pod}, reportStatus: 200, report: tampered}, reason: "report tampered with", keptTarball: true},
		{name: "report missing", api: fakeAPI{pods: []corev1.Pod{pod}, reportStatus: 404, logsDir: 200},
			reason: "report missing: node node-a has no /var/log/node-e2e/r20261130a/node-a-0/report.tar.gz"},
		{name: "log handler off", api: fakeAPI{pods: []corev1.Pod{pod}, reportStatus: 405},
			err: "node node-a: the kubelet does not serve /logs/ (enableSystemLogHandler: false): set enableDebuggingHandlers: true and enableSystemLogHandler: true"},
		{name: "debugging handlers off", api: fakeAPI{pods: []corev1.Pod{pod}, reportStatus: 404, logsDir: 404},
			err: "node node-a: the kubelet does not serve /logs/ (enableDebuggingHandlers: false?)"},
		{name: "forbidden", api: fakeAPI{pods: []corev1.Pod{pod}, reportStatus: 403},
			reason: "forbidden: the runner's credentials need get on nodes/proxy"},
		{name: "pod gone, report kept", api: fakeAPI{reportStatus: 200, report: good},
			reason: "no suite pod left", extractedJunit: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.api.t = t
			dest := filepath.Join(t.TempDir(), "node-a")
			res, err := Collect(t.Context(), fakeClient(t, &c.api), testRun(), Member{Node: "node-a"}, dest)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || !errors.Is(err, errLogHandlerOff) {
					t.Fatalf("error %v, want one with %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Passed != c.pass || !strings.Contains(res.Reason, c.reason) {
				t.Errorf("passed %v reason %q, want %v and %q", res.Passed, res.Reason, c.pass, c.reason)
			}
			if want := "node-e2e.io/sync=r20261130a,node-e2e.io/node=node-a,node-e2e.io/replica=0"; c.api.selector != want {
				t.Errorf("pods selected by %q, want %q", c.api.selector, want)
			}
			if _, err := os.Stat(filepath.Join(dest, "report.tar.gz")); (err == nil) != c.keptTarball {
				t.Errorf("report.tar.gz kept: %v, want %v", err == nil, c.keptTarball)
			}
			if _, err := os.Stat(filepath.Join(dest, "junit_01.xml")); (err == nil) != c.extractedJunit {
				t.Errorf("junit_01.xml extracted: %v, want %v", err == nil, c.extractedJunit)
			}
			if _, err := os.Stat(filepath.Join(dest, ".report.tar.gz.part")); err == nil {
				t.Error("the download's part file is left")
			}
		})
	}
}

func TestArtifactsName(t *testing.T) {
	r := testRun() // two replicas
	if got := r.ArtifactsName(Member{Node: "n", Replica: 0}); got != "n-0" {
		t.Errorf("replicas 2: %q", got)
	}
	r.Replicas = 1
	if got := r.ArtifactsName(Member{Node: "n"}); got != "n" {
		t.Errorf("replicas 1: %q", got)
	}
	if got := r.ReportDir(Member{Node: "n", Replica: 0}); got != "/var/log/node-e2e/r20261130a/n-0" {
		t.Errorf("ReportDir %q", got)
	}
}
