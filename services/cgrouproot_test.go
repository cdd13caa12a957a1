package services

import (
	"testing"
)

func TestCgroupRootDir(t *testing.T) {
	for _, c := range []struct {
		name, want string
		systemd    bool
	}{
		{"/node-e2e-ab12", "/node-e2e-ab12", false},
		{"/node-e2e-ab12", "/node_e2e_ab12.slice", true},
		{"node-e2e-ab12", "/node_e2e_ab12.slice", true},
	} {
		if got := CgroupRootDir(c.name, c.systemd); got != c.want {
			t.Errorf("CgroupRootDir(%q, %v) = %q, want %q", c.name, c.systemd, got, c.want)
		}
	}
}
