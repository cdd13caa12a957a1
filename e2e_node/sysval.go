package e2e_node

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/onsi/ginkgo/v2"

	"github.com/node-e2e/harness/internal/run"
	"github.com/node-e2e/harness/internal/sysval"
)

// systemValidationFile is the report file of the host's system validation.
const systemValidationFile = "system-validation.txt"

// systemValidation is process 1's report of the host's system validation,
// kept until the report directory is known (the default one is named
// after the run id, chosen when the node is brought up).
var systemValidation string

// validateSystem checks this host with k8s.io/system-validators before
// any spec, as upstream's suite does, in the process that brings up the
// node (Ginkgo's process 1), whether or not it starts the node. It returns
// the exit code to stop with: ExitUsage when a required item fails.
func validateSystem(first bool) int {
	if !first {
		return ExitOK
	}
	r := sysval.Run(sysval.DefaultSpec())
	systemValidation = sysval.Text(r)
	where := "the report directory's " + systemValidationFile
	if cfg.ReportDir != "" {
		where = writeSystemValidation(cfg.ReportDir)
	}
	if err := r.Err(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e_node.test: cannot start: this host does not meet the node's requirements:\n%v\n(every item checked is in %s)\n%s", err, where, systemValidation)
		return ExitUsage
	}
	for _, f := range r.Findings {
		fmt.Fprintf(os.Stdout, "system validation warning: %s: %s\n", f.Validator, f.Message)
	}
	fmt.Fprintf(os.Stdout, "system validation passed: %d items checked (%s)\n", len(r.Items), where)
	return ExitOK
}

// writeSystemValidation writes the report into dir and returns its path,
// or says why it could not. A report dir that does not exist yet (the run
// creates it) gets the report at the end instead.
func writeSystemValidation(dir string) string {
	path := filepath.Join(dir, systemValidationFile)
	err := run.WriteFile(path, []byte(systemValidation), 0o644)
	switch {
	case err == nil:
		systemValidationWritten = true
		return path
	case errors.Is(err, fs.ErrNotExist):
		return path + " (written at the end of the run)"
	}
	fmt.Fprintf(os.Stderr, "e2e_node.test: %v\n", err)
	return "stdout"
}

// systemValidationWritten is set once the report is in the report dir.
var systemValidationWritten bool

// The report directory may be known, or exist, only once process 1 has
// brought up the node: then the report goes there at the end.
var _ = ginkgo.ReportAfterSuite("system validation", func(ginkgo.Report) {
	if dir := cmp.Or(cfg.ReportDir, harness.layout.ReportDir); systemValidation != "" && !systemValidationWritten && dir != "" {
		writeSystemValidation(dir)
	}
})
