// Package shell quotes words for a POSIX shell and splits option strings
// into words the way a shell would, without expanding anything: the one
// place the harness turns argument lists into command lines (printed for
// users, run over ssh) and back.
package shell
