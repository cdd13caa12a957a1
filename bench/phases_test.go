package bench

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

const suiteOutput = "Will run 1 of 78 specs\n" +
	"bringing up node vm in /tmp/node-e2e/x (logs in /tmp/r)\n" +
	"startup phases:\n" +
	"  run dir and credentials                 13ms\n" +
	"  apiserver ready                         2.897s\n" +
	"  registry serving                        0s\n" +
	"  control plane and image registry ready  3.256s\n" +
	"  node ready                              803ms\n" +
	"node vm is Ready\n" +
	"SSS\x1b[38;5;10m•\x1b[0mSSSteardown phases:\n" +
	"  teardown: stop kubelet                             39ms\n" +
	"  teardown: stop services                            1.132s\n" +
	"  teardown                                           1.219s\n" +
	"\n" +
	"Ran 1 of 78 Specs in 5.698 seconds\n"

func TestParsePhaseTable(t *testing.T) {
	for _, tc := range []struct {
		name, output, header string
		want                 []Phase
		err                  string
	}{
		{
			name: "startup", output: suiteOutput, header: StartupHeader,
			want: []Phase{
				{Name: "run dir and credentials", Duration: 13 * time.Millisecond},
				{Name: "apiserver ready", Duration: 2897 * time.Millisecond},
				{Name: "registry serving"},
				{Name: "control plane and image registry ready", Duration: 3256 * time.Millisecond},
				{Name: "node ready", Duration: 803 * time.Millisecond},
			},
		},
		{
			name: "teardown after progress dots on the same line", output: suiteOutput, header: TeardownHeader,
			want: []Phase{
				{Name: "teardown: stop kubelet", Duration: 39 * time.Millisecond},
				{Name: "teardown: stop services", Duration: 1132 * time.Millisecond},
				{Name: "teardown", Duration: 1219 * time.Millisecond},
			},
		},
		{name: "no table", output: "Ran 0 of 78 Specs\n", header: StartupHeader, err: `no "startup phases:" table`},
		{name: "bad duration", output: "startup phases:\n  etcd ready  fast\n", header: StartupHeader, err: `startup phases: row "  etcd ready  fast"`},
		{name: "empty table", output: "teardown phases:\n\n", header: TeardownHeader, want: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePhaseTable(tc.output, tc.header)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestPhaseDuration(t *testing.T) {
	ps := []Phase{{Name: "teardown: stop services", Duration: time.Second}, {Name: "teardown", Duration: 2 * time.Second}}
	if d, ok := PhaseDuration(ps, "teardown"); !ok || d != 2*time.Second {
		t.Errorf("teardown = %v, %v", d, ok)
	}
	if _, ok := PhaseDuration(ps, "node ready"); ok {
		t.Error("a missing phase was found")
	}
}

func TestParseGinkgoReport(t *testing.T) {
	report := `[{"StartTime":"2026-11-30T00:08:20Z","SpecReports":[
	 {"LeafNodeType":"SynchronizedBeforeSuite","State":"passed","StartTime":"2026-11-30T00:08:20.4Z"},
	 {"LeafNodeType":"It","State":"skipped","StartTime":"2026-11-30T00:08:24.0Z"},
	 {"LeafNodeType":"It","State":"passed","StartTime":"2026-11-30T00:08:24.6Z"},
	 {"LeafNodeType":"It","State":"failed","StartTime":"2026-11-30T00:08:24.5Z"},
	 {"LeafNodeType":"SynchronizedAfterSuite","State":"passed","StartTime":"2026-11-30T00:08:30Z"}]}]`
	for _, tc := range []struct {
		name, in string
		want     SpecTimes
		err      bool
	}{
		{name: "first It that ran; skipped and suite nodes ignored", in: report,
			want: SpecTimes{FirstStart: time.Date(2026, 11, 30, 0, 8, 24, 500000000, time.UTC), Ran: 2, Failed: 1}},
		{name: "nothing ran", in: `[{"SpecReports":[{"LeafNodeType":"It","State":"skipped"}]}]`, want: SpecTimes{}},
		{name: "not a report", in: `{"x":1}`, err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseGinkgoReport([]byte(tc.in))
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if !got.FirstStart.Equal(tc.want.FirstStart) || got.Ran != tc.want.Ran || got.Failed != tc.want.Failed {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
