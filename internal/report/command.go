package report

import (
	"strconv"
	"strings"

	"github.com/node-e2e/harness/internal/shell"
)

// CommandSpec is what a run was asked to do, for the command line that
// reproduces it.
type CommandSpec struct {
	// Ginkgo is the ginkgo binary ("ginkgo").
	Ginkgo string
	// Procs is the number of Ginkgo processes.
	Procs int
	// Focus, Skip and LabelFilter select the specs.
	Focus, Skip []string
	LabelFilter string
	// Suite is the test binary.
	Suite string
	// Flags are the suite's own flags as "--name=value", in order.
	Flags []string
}

// Command renders spec as a shell command line, each word quoted when it
// needs to be.
func Command(spec CommandSpec) string {
	words := []string{cmpOr(spec.Ginkgo, "ginkgo")}
	if spec.Procs > 1 {
		words = append(words, "--procs="+strconv.Itoa(spec.Procs))
	}
	for _, f := range spec.Focus {
		words = append(words, "--focus="+f)
	}
	for _, s := range spec.Skip {
		words = append(words, "--skip="+s)
	}
	if spec.LabelFilter != "" {
		words = append(words, "--label-filter="+spec.LabelFilter)
	}
	words = append(words, cmpOr(spec.Suite, "e2e_node.test"))
	if len(spec.Flags) > 0 {
		words = append(words, "--")
		words = append(words, spec.Flags...)
	}
	for i, w := range words {
		words[i] = shellQuote(w)
	}
	return strings.Join(words, " ")
}

// shellQuote quotes w for a POSIX shell (shell.Quote); "--flag=value"
// keeps the flag outside the quotes, as people write it.
func shellQuote(w string) string {
	if name, val, ok := strings.Cut(w, "="); ok && strings.HasPrefix(name, "-") && shell.Quote(name) == name && shell.Quote(w) != w {
		return name + "=" + shell.Quote(val)
	}
	return shell.Quote(w)
}
