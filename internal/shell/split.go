package shell

import (
	"fmt"
	"strings"
)

// Split splits s into words the way a POSIX shell would, without any
// expansion: words are separated by unquoted blanks; single quotes keep
// everything up to the next single quote; double quotes keep everything up
// to the next unescaped double quote, where a backslash escapes only
// $, `, ", \ and a newline; elsewhere a backslash escapes the next byte.
// It is used for option strings such as --ssh-options, --ginkgo-flags and
// --test-args, so users can write values containing spaces. An unterminated
// quote or a trailing backslash is an error.
func Split(s string) ([]string, error) {
	var (
		words   []string
		cur     strings.Builder
		inWord  bool
		inQuote byte
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch inQuote {
		case '\'':
			if c == '\'' {
				inQuote = 0
			} else {
				cur.WriteByte(c)
			}
			continue
		case '"':
			switch {
			case c == '"':
				inQuote = 0
			case c == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0:
				i++
				if s[i] != '\n' {
					cur.WriteByte(s[i])
				}
			default:
				cur.WriteByte(c)
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case '\'', '"':
			inQuote, inWord = c, true
		case '\\':
			if i+1 == len(s) {
				return nil, fmt.Errorf("trailing backslash in %q", s)
			}
			i++
			if s[i] != '\n' {
				cur.WriteByte(s[i])
				inWord = true
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inQuote != 0 {
		return nil, fmt.Errorf("unterminated %c quote in %q", inQuote, s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
