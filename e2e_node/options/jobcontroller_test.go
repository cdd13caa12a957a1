package options

import (
	"slices"
	"testing"

	"github.com/node-e2e/harness/internal/run"
)

func TestRunJobControllerReachesTheServicesProcess(t *testing.T) {
	l := run.Layout{ID: "r1", Dir: "/runs/r1", ReportDir: "/rep"}
	for _, c := range []struct {
		args []string
		want bool
	}{
		{nil, false},
		{[]string{"--run-job-controller"}, true},
		{[]string{"--run-job-controller=false"}, false},
	} {
		cfg, err := parse(t, c.args...)
		if err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		if cfg.RunJobController != c.want {
			t.Errorf("%v: RunJobController = %v, want %v", c.args, cfg.RunJobController, c.want)
		}
		got := slices.Contains(cfg.ServicesCommand("/bin/e2e_node.test", l, "/bin/pause", "/bin/testimage"), "--run-job-controller")
		if got != c.want {
			t.Errorf("%v: services command has --run-job-controller = %v, want %v", c.args, got, c.want)
		}
	}
}
