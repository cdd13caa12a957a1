package shell

import "strings"

// safeChars are the bytes that need no quoting in a POSIX shell word.
const safeChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@%+=:,./_-"

// Quote returns s as one POSIX shell word: unchanged when it holds only
// characters the shell leaves alone, otherwise in single quotes, each
// embedded single quote closing the quotes, escaped, and reopening them:
//
//	it's  ->  'it'\''s'
func Quote(s string) string {
	if s == "" {
		return "''"
	}
	if strings.Trim(s, safeChars) == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Join quotes each argument and joins them with spaces, giving a command
// line that a POSIX shell splits back into exactly args.
func Join(args ...string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = Quote(a)
	}
	return strings.Join(q, " ")
}
