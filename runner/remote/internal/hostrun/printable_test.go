package hostrun

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestPrintable(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text, tabs\tand\nnewlines", "plain text, tabs\tand\nnewlines"},
		{"ünïcode ✓ 日本", "ünïcode ✓ 日本"},
		{"\x1b]0;pwned\x07\x1b[2J", ""},
		{"a\x1b]0;pwned\x07b\x1b[2Jc", "abc"},
		{"title\x1b]2;x\x1b\\ after ST", "title after ST"},
		{"red \x1b[1;31mALERT\x1b[0m", "red ALERT"},
		{"cursor \x1b[10;20H\x1b[?25l\x1b[K moves", "cursor  moves"},
		{"\x1bPq#0;2;0;0;0\x1b\\sixel", "sixel"},
		{"apc \x1b_hidden\x1b\\ pm \x1b^x\x1b\\ sos \x1bXy\x1b\\", "apc  pm  sos "},
		{"charset \x1b(0 save \x1b7 reset \x1bc", "charset  save  reset "},
		{"osc cut by a new sequence \x1b]0;x\x1b[31mred", "osc cut by a new sequence red"},
		{"unterminated \x1b]0;swallows the rest", "unterminated "},
		{"lone escape at the end \x1b", "lone escape at the end "},
		{"bell\x07 backspace\x08 cr\r del\x7f nul\x00 vt\x0b ff\x0c", "bell backspace cr del nul vt ff"},
		{"c1 csi \u009b2J and osc \u009d0;t\u009c and nel \u0085 end", "c1 csi  and osc  and nel  end"},
		{"bad utf-8 \xff\x9b2J", "bad utf-8 \ufffd\ufffd2J"},
	} {
		if got := Printable(tc.in); got != tc.want {
			t.Errorf("Printable(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestHostTextIsPrintable checks that what a host sends reaches neither
// the progress lines nor the summary with escape sequences.
func TestHostTextIsPrintable(t *testing.T) {
	const evil = "\x1b]0;pwned\x07\x1b[2J"
	var buf bytes.Buffer
	p := NewProgress(&buf, "h")
	p.Step("h", "install", "ok", time.Second, "installed "+evil+"containerd")
	p.Step("h", "collect", "FAILED", time.Second, "collect: exit status 2: tar: "+evil+"oops\r")
	WriteSummary(&buf, []Result{{Host: "h", Reason: "1 failed: [It] " + evil + "spec", Notes: []string{"cleanup: " + evil}}})
	out := buf.String()
	for _, bad := range []string{"\x1b", "\x07", "\r", "pwned"} {
		if strings.Contains(out, bad) {
			t.Errorf("output holds %q:\n%q", bad, out)
		}
	}
	for _, want := range []string{"installed containerd", "tar: oops", "1 failed: [It] spec; cleanup:"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%q", want, out)
		}
	}
}
