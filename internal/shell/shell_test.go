package shell

import (
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "''"},
		{"plain", "plain"},
		{"--report-dir=/tmp/ws/results", "--report-dir=/tmp/ws/results"},
		{"--focus=is Ready and reports", "'--focus=is Ready and reports'"},
		{"it's", `'it'\''s'`},
		{"$HOME", "'$HOME'"},
		{"a\"b", `'a"b'`},
		{"NodeConformance && !Slow", "'NodeConformance && !Slow'"},
		{"x;rm -rf /", "'x;rm -rf /'"},
		{"back\\slash", `'back\slash'`},
		{"new\nline", "'new\nline'"},
		{"`id`", "'`id`'"},
	} {
		if got := Quote(tc.in); got != tc.want {
			t.Errorf("Quote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// TestJoinRoundTrip checks that a POSIX shell splits Join's output back
// into exactly the original arguments, as sshd's login shell will.
func TestJoinRoundTrip(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	for _, args := range [][]string{
		{"--focus=is Ready and reports"},
		{"--focus=Pods|Probes", "--skip=\\[Slow\\]"},
		{"--label-filter=NodeConformance && !(Slow || Disruptive)"},
		{"--focus=it's \"quoted\" $(id) `id` $HOME *", ""},
		{"--kubelet-flags=--v=4 --node-labels=a=b,c=d", "tab\there", "new\nline", "trailing\\"},
		{"ünïcödé", "semi;colon", "pipe|amp&", "<redirect>", "#comment"},
	} {
		line := "printf '%s\\0' " + Join(args...)
		out, err := exec.Command(sh, "-c", line).Output()
		if err != nil {
			t.Fatalf("sh -c %q: %v", line, err)
		}
		got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
		if !reflect.DeepEqual(got, args) {
			t.Errorf("sh split %s into %q, want %q", line, got, args)
		}
	}
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{in: "", want: nil},
		{in: "   ", want: nil},
		{in: "-o StrictHostKeyChecking=no -p 2222", want: []string{"-o", "StrictHostKeyChecking=no", "-p", "2222"}},
		{in: "--kubelet-flags='--v=4 --max-pods=20'", want: []string{"--kubelet-flags=--v=4 --max-pods=20"}},
		{in: `--focus="a b" c`, want: []string{"--focus=a b", "c"}},
		{in: `"a \"b\" \$c \x"`, want: []string{`a "b" $c \x`}},
		{in: `a\ b c`, want: []string{"a b", "c"}},
		{in: `''`, want: []string{""}},
		{in: "a\tb\nc", want: []string{"a", "b", "c"}},
		{in: `'it'\''s'`, want: []string{"it's"}},
		{in: `'unterminated`, wantErr: true},
		{in: `"unterminated`, wantErr: true},
		{in: `trailing\`, wantErr: true},
	} {
		got, err := Split(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("Split(%q) error = %v, want error %v", tc.in, err, tc.wantErr)
			continue
		}
		if !tc.wantErr && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Split(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestSplitJoin checks that Split undoes Join.
func TestSplitJoin(t *testing.T) {
	args := []string{"--focus=it's a \"test\"", "", "$x", `back\slash`, "plain"}
	got, err := Split(Join(args...))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, args) {
		t.Errorf("Split(Join(%q)) = %q", args, got)
	}
}

func TestJoinCommandLines(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{[]string{"kubelet", "--v=2"}, "kubelet --v=2"},
		{[]string{"a b", ""}, "'a b' ''"},
		{[]string{"it's"}, `'it'\''s'`},
		{[]string{"--x=unix:///a/b.sock"}, "--x=unix:///a/b.sock"},
		{[]string{"$HOME"}, "'$HOME'"},
	} {
		if got := Join(tc.in...); got != tc.want {
			t.Errorf("Join(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
