package e2e_node

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/node-e2e/harness/images"
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

// listImages prints every image the suite uses, with the reference it has
// in the harness's registry on 127.0.0.1:port (port 0: chosen per run).
func listImages(w io.Writer, port int) {
	host := "127.0.0.1:<port chosen per run>"
	if port != 0 {
		host = fmt.Sprintf("127.0.0.1:%d", port)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "NAME\tREFERENCE\tBUILT FROM\n")
	for _, name := range images.Names() {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", name, images.Ref(host, name), imageSources[name])
	}
	tw.Flush()
}

// imageSources says what each image is built from, for --list-images.
var imageSources = map[string]string{
	images.PauseName:       "images/pause (Go, static)",
	images.BusyboxName:     "Debian busybox-static",
	images.TestName:        "images/testimage (Go, static)",
	images.PrivateTestName: "images/testimage, in the registry's private path (basic auth)",
	images.PullTestName:    "images/testimage, never pre-pulled (the image-pull specs pull it)",
}
