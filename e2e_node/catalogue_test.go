package e2e_node

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
)

// listCatalogue prints the suite's specs (with their labels), or with
// labelsOnly every label and how many specs carry it, without running
// anything.
func listCatalogue(w io.Writer, labelsOnly bool) error {
	report := ginkgo.PreviewSpecs("Node e2e suite")
	counts := map[string]int{}
	var specs []string
	for _, s := range report.SpecReports {
		if s.LeafNodeType != types.NodeTypeIt {
			continue
		}
		for _, l := range s.Labels() {
			counts[l]++
		}
		specs = append(specs, fmt.Sprintf("%s [%s]", s.FullText(), strings.Join(s.Labels(), ", ")))
	}
	if labelsOnly {
		labels := make([]string, 0, len(counts))
		for l := range counts {
			labels = append(labels, l)
		}
		sort.Strings(labels)
		for _, l := range labels {
			fmt.Fprintf(w, "%s\t%d specs\n", l, counts[l])
		}
		return nil
	}
	sort.Strings(specs)
	for _, s := range specs {
		fmt.Fprintln(w, s)
	}
	fmt.Fprintf(w, "%d specs\n", len(specs))
	return nil
}
