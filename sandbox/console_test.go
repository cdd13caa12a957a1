package sandbox

import (
	"strings"
	"testing"
)

func TestTailBuffer(t *testing.T) {
	var b tailBuffer
	b.Write([]byte(strings.Repeat("x", consoleTailBytes)))
	b.Write([]byte("\r\nlast line\r\n"))
	s := b.String()
	if len(s) > consoleTailBytes || !strings.HasSuffix(s, "\nlast line\n") || strings.Contains(s, "\r") {
		t.Errorf("tail is %d bytes ending %q", len(s), s[len(s)-20:])
	}
}

func TestCleanConsole(t *testing.T) {
	tests := []struct{ in, want string }{
		{"[\x1b[0;32m  OK  \x1b[0m] Started x.\r\n", "[  OK  ] Started x.\n"},
		{"\x1b[?25lplain\x1b[K\r\n", "plain\n"},
		{"no escapes", "no escapes"},
	}
	for _, tt := range tests {
		if got := cleanConsole(tt.in); got != tt.want {
			t.Errorf("cleanConsole(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
