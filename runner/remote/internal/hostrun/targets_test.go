package hostrun

import (
	"reflect"
	"strings"
	"testing"

	"github.com/node-e2e/harness/runner/remote/internal/sshcmd"
)

func TestParseTargets(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []sshcmd.Target
		wantErr string
	}{
		{in: "", want: nil},
		{in: "a=10.0.0.1", want: []sshcmd.Target{{Name: "a", Address: "10.0.0.1"}}},
		{in: "a=10.0.0.1:2222, b=host.example", want: []sshcmd.Target{{Name: "a", Address: "10.0.0.1", Port: 2222}, {Name: "b", Address: "host.example"}}},
		{in: "v6=[::1]:2200,v6b=[fe80::1],v6c=::1", want: []sshcmd.Target{{Name: "v6", Address: "::1", Port: 2200}, {Name: "v6b", Address: "fe80::1"}, {Name: "v6c", Address: "::1"}}},
		{in: "u=prow@10.0.0.2:22", want: []sshcmd.Target{{Name: "u", Address: "prow@10.0.0.2", Port: 22}}},
		{in: "myalias", want: []sshcmd.Target{{Name: "myalias", Address: "myalias"}}},
		{in: "a=b=c", wantErr: `entry "a=b=c": more than one '=': want name=address[:port]`},
		{in: "a=", wantErr: `entry "a=": bad address ""`},
		{in: "=10.0.0.1", wantErr: `entry "=10.0.0.1": host name ""`},
		{in: "a=10.0.0.1:x", wantErr: `bad port "x"`},
		{in: "a=10.0.0.1:0", wantErr: `bad port "0"`},
		{in: "a=10.0.0.1:70000", wantErr: `bad port "70000"`},
		{in: "a=[::1", wantErr: `missing ']'`},
		{in: "a=[::1]x", wantErr: `unexpected "x" after ']'`},
		{in: "a=@host", wantErr: `empty user`},
		{in: "a=1.2.3.4,a=5.6.7.8", wantErr: `host name "a" given twice`},
		{in: "a=1.2.3.4,,b=5.6.7.8", wantErr: `empty entry`},
		{in: "../x=1.2.3.4", wantErr: `host name "../x"`},
		{in: "host:22", wantErr: `entry "host:22": want name=address[:port]`},
	} {
		got, err := ParseTargets(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseTargets(%q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseTargets(%q): %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseTargets(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}
