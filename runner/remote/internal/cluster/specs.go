package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strings"

	"github.com/onsi/ginkgo/v2/types"
)

// suiteDescription is e2e_node's RunSpecs description: Ginkgo matches
// --focus and --skip against it, a space and the spec's full text.
const suiteDescription = "Node e2e suite"

// Spec is one spec of the suite: its full text and its labels.
type Spec struct {
	Text   string
	Labels []string
}

// Selection is the specs a run selects, as Ginkgo's flags give it.
type Selection struct {
	// Focus and Skip are regular expressions; several are or-ed, as
	// Ginkgo does with repeated --focus and --skip.
	Focus, Skip []string
	// LabelFilter is a Ginkgo label filter expression.
	LabelFilter string
}

// SelectionFromGinkgoArgs reads the selection from ginkgo's command line
// flags (Run.GinkgoArgs): --focus, --skip and --label-filter, with one or
// two dashes, "=value" or a separate value, and their --ginkgo.* forms.
func SelectionFromGinkgoArgs(args []string) Selection {
	var s Selection
	for i := 0; i < len(args); i++ {
		name, val, hasVal := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		name = strings.TrimPrefix(name, "ginkgo.")
		if name != "focus" && name != "skip" && name != "label-filter" || !strings.HasPrefix(args[i], "-") {
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				break
			}
			i++
			val = args[i]
		}
		switch name {
		case "focus":
			s.Focus = append(s.Focus, val)
		case "skip":
			s.Skip = append(s.Skip, val)
		default:
			s.LabelFilter = val
		}
	}
	return s
}

// SpecLister lists every spec of the suite (Preflight's injectable source:
// ListSpecsWith runs the binary).
type SpecLister func(ctx context.Context) ([]Spec, error)

// ListSpecsWith lists the suite's specs by running binary (the local
// e2e_node.test that goes into the suite image) with --list-tests, which
// walks Ginkgo's tree without running anything (~80 ms).
func ListSpecsWith(binary string) SpecLister {
	return func(ctx context.Context) ([]Spec, error) {
		var stdout, stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, binary, "--list-tests")
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("cluster: %s --list-tests: %w: %s", binary, err, strings.TrimSpace(stderr.String()))
		}
		return ParseSpecList(stdout.String())
	}
}

// ParseSpecList parses e2e_node.test --list-tests: one "<full text>
// [<label>, ...]" line per spec, then "<N> specs".
func ParseSpecList(out string) ([]Spec, error) {
	var specs []Spec
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	for i, line := range lines {
		if i == len(lines)-1 && strings.HasSuffix(line, " specs") {
			var n int
			if _, err := fmt.Sscanf(line, "%d specs", &n); err != nil || n != len(specs) {
				return nil, fmt.Errorf("cluster: spec list ends with %q after %d specs", line, len(specs))
			}
			return specs, nil
		}
		j := strings.LastIndex(line, " [")
		if j < 0 || !strings.HasSuffix(line, "]") {
			return nil, fmt.Errorf("cluster: spec list line %d %q: want \"<text> [<labels>]\"", i+1, line)
		}
		s := Spec{Text: line[:j]}
		if l := line[j+2 : len(line)-1]; l != "" {
			s.Labels = strings.Split(l, ", ")
		}
		specs = append(specs, s)
	}
	return nil, fmt.Errorf("cluster: spec list without its \"<N> specs\" line (%d lines)", len(lines))
}

// SelectSpecs returns the specs sel selects, as Ginkgo decides: the
// focus matches (when given), the skip does not, the label filter holds.
// A pattern or filter Ginkgo would reject is a *UsageError.
func SelectSpecs(specs []Spec, sel Selection) ([]Spec, error) {
	var focus, skip *regexp.Regexp
	var err error
	if len(sel.Focus) > 0 {
		if focus, err = regexp.Compile(strings.Join(sel.Focus, "|")); err != nil {
			return nil, usage("--focus", "give a Go regular expression", "%v", err)
		}
	}
	if len(sel.Skip) > 0 {
		if skip, err = regexp.Compile(strings.Join(sel.Skip, "|")); err != nil {
			return nil, usage("--skip", "give a Go regular expression", "%v", err)
		}
	}
	var filter types.LabelFilter
	if sel.LabelFilter != "" {
		if filter, err = types.ParseLabelFilter(sel.LabelFilter); err != nil {
			msg := err.Error()
			var ge types.GinkgoError
			if errors.As(err, &ge) {
				msg = ge.Heading + ": " + strings.Join(strings.Fields(markup.ReplaceAllString(ge.Message, "")), " ")
			}
			return nil, usage("--label-filter", "see `e2e_node.test --list-labels` and Ginkgo's label filter syntax", "%q: %s", sel.LabelFilter, msg)
		}
	}
	var out []Spec
	for _, s := range specs {
		text := suiteDescription + " " + s.Text
		switch {
		case focus != nil && !focus.MatchString(text):
		case skip != nil && skip.MatchString(text):
		case filter != nil && !filter(s.Labels):
		default:
			out = append(out, s)
		}
	}
	return out, nil
}

// markup is Ginkgo's colour markup in its error messages ("{{red}}").
var markup = regexp.MustCompile(`\{\{[a-z/-]*\}\}`)

// exclusiveLabels mark specs that must have the node to themselves.
var exclusiveLabels = []string{"Serial", "Disruptive"}

// CheckReplicas refuses more than one suite pod per node when the
// selection holds a Serial or Disruptive spec: replicas share their node,
// so such a spec would run alongside another replica's specs (or restart
// the kubelet under them).
func CheckReplicas(ctx context.Context, replicas int, sel Selection, list SpecLister) error {
	if replicas <= 1 {
		return nil
	}
	all, err := list(ctx)
	if err != nil {
		return usage("--replicas-per-node", "build e2e_node.test (hack/build.sh) or use --replicas-per-node=1",
			"%d needs the selected specs' labels: %v", replicas, err)
	}
	selected, err := SelectSpecs(all, sel)
	if err != nil {
		return err
	}
	var bad []string
	for _, s := range selected {
		for _, l := range exclusiveLabels {
			if slices.Contains(s.Labels, l) {
				bad = append(bad, fmt.Sprintf("%q [%s]", s.Text, strings.Join(s.Labels, ", ")))
				break
			}
		}
	}
	if len(bad) == 0 {
		return nil
	}
	total, more := len(bad), ""
	if len(bad) > 3 {
		more = fmt.Sprintf(" and %d more", len(bad)-3)
		bad = bad[:3]
	}
	return usage("--replicas-per-node", "use --replicas-per-node=1, or leave them out (--label-filter='!Serial && !Disruptive')",
		"%d replicas share each node, but %d selected spec(s) are Serial or Disruptive: %s%s",
		replicas, total, strings.Join(bad, "; "), more)
}
