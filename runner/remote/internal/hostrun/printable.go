package hostrun

import (
	"strings"
	"unicode/utf8"
)

// Printable returns s with everything a terminal would act on removed, so
// that text from a host (its standard error quoted in an error, the
// output of install-deps.sh, spec names from its JUnit report) cannot
// retitle the window, clear the screen, move the cursor or hide text when
// it is printed:
//
//   - ANSI escape sequences, whole: CSI (ESC [ … final byte), OSC
//     (ESC ] … BEL or ST), DCS, SOS, PM and APC strings (ESC P, X, ^, _
//     … ST), and the short ESC sequences (ESC 7, ESC ( B, …), along with
//     their 8-bit C1 forms;
//   - every other C0 and C1 control character and DEL, except \n and \t,
//     which are kept;
//   - bytes that are not UTF-8 become U+FFFD.
//
// Printable is applied to every field of a progress line and every cell
// of the summary.
func Printable(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\n' && c != '\t') || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
			i++
		case r == 0x1b:
			i = skipEscape(s, i+1)
		case r == 0x9b: // CSI
			i = skipCSI(s, i+size)
		case r == 0x90 || r == 0x98 || r == 0x9d || r == 0x9e || r == 0x9f: // DCS, SOS, OSC, PM, APC
			i = skipString(s, i+size)
		case r == '\n' || r == '\t':
			b.WriteRune(r)
			i += size
		case r < 0x20 || (r >= 0x7f && r <= 0x9f):
			i += size
		default:
			b.WriteString(s[i : i+size])
			i += size
		}
	}
	return b.String()
}

// skipEscape returns the index after the escape sequence whose ESC is
// just before s[i].
func skipEscape(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch c := s[i]; {
	case c == '[':
		return skipCSI(s, i+1)
	case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_':
		return skipString(s, i+1)
	case c >= 0x20 && c <= 0x2f: // intermediate bytes, then a final byte
		for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
			i++
		}
		if i < len(s) && s[i] >= 0x30 && s[i] <= 0x7e {
			i++
		}
		return i
	case c >= 0x30 && c <= 0x7e:
		return i + 1
	default:
		return i // a lone ESC: drop it, keep what follows
	}
}

// skipCSI returns the index after a control sequence's parameters,
// intermediate bytes and final byte, starting at s[i].
func skipCSI(s string, i int) int {
	for i < len(s) && s[i] >= 0x30 && s[i] <= 0x3f {
		i++
	}
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
		i++
	}
	if i < len(s) && s[i] >= 0x40 && s[i] <= 0x7e {
		i++
	}
	return i
}

// skipString returns the index after a control string (OSC, DCS, …)
// starting at s[i]: up to and including BEL, ESC \ or the 8-bit ST; an
// unterminated string runs to the end, as a terminal would take it.
func skipString(s string, i int) int {
	for i < len(s) {
		switch {
		case s[i] == 0x07:
			return i + 1
		case s[i] == 0x1b:
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			return i // ends the string and starts another sequence
		case strings.HasPrefix(s[i:], "\u009c"):
			return i + len("\u009c")
		}
		i++
	}
	return i
}
