// Package sshcmd builds and runs the system OpenSSH client's command lines.
//
// The runner talks to remote hosts only through the `ssh` binary, so that
// the user's ~/.ssh/config, keys, agent and known_hosts apply unchanged.
// This package holds the ssh argument vector (quoting and splitting are
// internal/shell's) and Run, which executes one bounded step as a child process in
// its own process group and kills the whole group when the step's
// deadline passes.
package sshcmd
