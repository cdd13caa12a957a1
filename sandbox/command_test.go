package sandbox

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestCommandLines(t *testing.T) {
	tests := []struct {
		name string
		got  []string
		want []string
	}{
		{
			name: "nsenter",
			got:  nsenterArgs(42, []string{"systemctl", "is-system-running"}),
			want: []string{"--target", "42", "--all", "--root", "--wd", "--", "systemctl", "is-system-running"},
		},
		{
			name: "enter stage",
			got:  enterArgs([]string{"/sys/fs/cgroup/cpu/sbx", "/sys/fs/cgroup/systemd/sbx"}, []string{"/usr/bin/nsenter", "--target", "42"}),
			want: []string{"systemd-sandbox", EnterArg, "2", "/sys/fs/cgroup/cpu/sbx", "/sys/fs/cgroup/systemd/sbx", "/usr/bin/nsenter", "--target", "42"},
		},
		{
			name: "pid 1",
			got:  pid1Args("/lib/systemd/systemd"),
			want: []string{"/lib/systemd/systemd", "--unit=systemd-sandbox.target", "--show-status=yes"},
		},
		{name: "stage 2", got: stage2Args(), want: []string{"systemd-sandbox", Stage2Arg}},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s:\n got  %q\n want %q", tt.name, tt.got, tt.want)
		}
	}
	path, argv := commandArgs("/proc/self/exe", []string{"/c"}, "/usr/bin/nsenter", 7, []string{"true"})
	want := []string{"systemd-sandbox", EnterArg, "1", "/c", "/usr/bin/nsenter", "--target", "7", "--all", "--root", "--wd", "--", "true"}
	if path != "/proc/self/exe" || !reflect.DeepEqual(argv, want) {
		t.Errorf("commandArgs = %s %q, want /proc/self/exe %q", path, argv, want)
	}
	if slices.ContainsFunc(nsenterArgs(1, nil), func(a string) bool { return strings.HasPrefix(a, "--wd=") }) {
		t.Error("nsenter --wd=DIR resolves DIR in the caller's mount namespace")
	}
	if !slices.Contains(pid1Env(), "container=other") {
		t.Error("PID 1 is not told it runs in a container")
	}
}

func TestIsReexec(t *testing.T) {
	tests := []struct {
		args []string
		want bool
	}{
		{[]string{"x", Stage2Arg}, true},
		{[]string{"x", EnterArg, "0", "/bin/true"}, true},
		{[]string{"x"}, false},
		{[]string{"x", "run"}, false},
		{[]string{Stage2Arg}, false},
	}
	for _, tt := range tests {
		if got := IsReexec(tt.args); got != tt.want {
			t.Errorf("IsReexec(%q) = %v", tt.args, got)
		}
	}
	for _, bad := range [][]string{{"x", EnterArg}, {"x", EnterArg, "z"}, {"x", EnterArg, "2", "/a"}, {"x", "run"}} {
		if err := RunReexec(bad); err == nil {
			t.Errorf("RunReexec(%q) accepted", bad)
		}
	}
}

func TestParseChildren(t *testing.T) {
	tests := []struct {
		in   string
		want []int
	}{
		{"", nil},
		{"123 ", []int{123}},
		{"1 22 333\n", []int{1, 22, 333}},
		{"x 5 -1 0", []int{5}},
	}
	for _, tt := range tests {
		if got := parseChildren(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseChildren(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
