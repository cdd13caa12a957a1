package options

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func TestSpecNamespaceLabelsFlag(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		want    string
		wantErr string
	}{
		{name: "unset", want: ""},
		{name: "one", args: []string{"--spec-namespace-labels=node-e2e.io/run-id=r1"}, want: "node-e2e.io/run-id=r1"},
		{name: "list and repeat", args: []string{"--spec-namespace-labels=b=2,a=1", "--spec-namespace-labels=c="}, want: "a=1,b=2,c="},
		{name: "no value", args: []string{"--spec-namespace-labels=a"}, wantErr: `"a": want KEY=VALUE`},
		{name: "bad key", args: []string{"--spec-namespace-labels=-a=1"}, wantErr: `label key "-a"`},
		{name: "bad value", args: []string{"--spec-namespace-labels=a=b c"}, wantErr: `label a value "b c"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewConfig()
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			c.AddFlags(fs)
			err := fs.Parse(tc.args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "spec-namespace-labels") {
					t.Fatalf("err = %v, want one naming the flag and containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.External.SpecNamespaceLabels.String(); got != tc.want {
				t.Errorf("labels = %q, want %q", got, tc.want)
			}
		})
	}
}
