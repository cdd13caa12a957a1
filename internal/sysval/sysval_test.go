package sysval

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name      string
		validator string
		warns     []error
		errs      []error
		want      []Finding
	}{
		{name: "nothing", validator: "os"},
		{
			name: "a warning stays a warning", validator: "kernel",
			warns: []error{errors.New("kernel release 4.19.0 is unsupported. ...")},
			want:  []Finding{{"kernel", Warning, "kernel release 4.19.0 is unsupported. ..."}},
		},
		{
			name: "a missing cgroup fails", validator: "cgroups",
			errs: []error{errors.New("missing required cgroups: pids")},
			want: []Finding{{"cgroups", Failed, "missing required cgroups: pids"}},
		},
		{
			name: "unreadable kernel config is a warning", validator: "kernel",
			errs: []error{errors.New("failed to parse kernel config: no config path in [/proc/config.gz] is available")},
			want: []Finding{{"kernel", Warning, "kernel configuration not checked: no config path in [/proc/config.gz] is available"}},
		},
		{
			name: "a disabled kernel option fails", validator: "kernel",
			errs: []error{errors.New("unexpected kernel config: CONFIG_MEMCG")},
			want: []Finding{{"kernel", Failed, "unexpected kernel config: CONFIG_MEMCG"}},
		},
		{
			name: "only the kernel validator's config error is relaxed", validator: "cgroups",
			errs: []error{errors.New("failed to parse kernel config: x")},
			want: []Finding{{"cgroups", Failed, "failed to parse kernel config: x"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Classify(tc.validator, tc.warns, tc.errs)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Classify = %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestLinesAndErr(t *testing.T) {
	items := []Item{
		{"os", "OS", "Linux", Passed},
		{"kernel", "CONFIG_MEMCG", "enabled", Passed},
		{"cgroups", "CGROUPS_HUGETLB", "missing", Warning},
	}
	for _, tc := range []struct {
		name    string
		r       Result
		want    []string
		wantErr string
	}{
		{
			name: "passed with a warning",
			r: Result{Version: "v1.12.1", Items: items, Findings: []Finding{
				{"cgroups", Warning, "missing optional cgroups: hugetlb"},
			}},
			want: []string{
				"system validation with k8s.io/system-validators v1.12.1 (default spec: OS, kernel version and config, cgroup controllers)",
				"  os       OS              ok       Linux",
				"  kernel   CONFIG_MEMCG    ok       enabled",
				"  cgroups  CGROUPS_HUGETLB warning  missing",
				"warnings:",
				"  cgroups: missing optional cgroups: hugetlb",
				"result: passed (3 items checked, warnings: 1)",
			},
		},
		{
			name: "a failed requirement is named",
			r: Result{Items: []Item{{"cgroups", "CGROUPS_PIDS", "missing", Failed}}, Findings: []Finding{
				{"cgroups", Failed, "missing required cgroups: pids"},
				{"kernel", Warning, "kernel configuration not checked: no config"},
			}},
			want: []string{
				"system validation with k8s.io/system-validators (default spec: OS, kernel version and config, cgroup controllers)",
				"  cgroups  CGROUPS_PIDS FAILED   missing",
				"warnings:",
				"  kernel: kernel configuration not checked: no config",
				"failed requirements:",
				"  cgroups: missing required cgroups: pids",
				"result: FAILED (failed requirements: 1, warnings: 1)",
			},
			wantErr: "system validation failed (k8s.io/system-validators): cgroups: missing required cgroups: pids",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Lines(tc.r); !slices.Equal(got, tc.want) {
				t.Errorf("Lines =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			err := tc.r.Err()
			if (err == nil) != (tc.wantErr == "") || err != nil && err.Error() != tc.wantErr {
				t.Errorf("Err = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// TestIntegrationRunOnThisHost runs the real validators on this machine.
func TestIntegrationRunOnThisHost(t *testing.T) {
	if testing.Short() {
		t.Skip("checks the real host")
	}
	r := Run(DefaultSpec())
	if err := r.Err(); err != nil {
		t.Fatalf("this host fails system validation: %v\n%s", err, Text(r))
	}
	for _, name := range []string{"OS", "KERNEL_VERSION", "CGROUPS_MEMORY", "CGROUPS_PIDS"} {
		if !slices.ContainsFunc(r.Items, func(it Item) bool { return it.Name == name && it.Level == Passed }) {
			t.Errorf("no passed item %s in\n%s", name, Text(r))
		}
	}
	t.Logf("\n%s", Text(r))
}
