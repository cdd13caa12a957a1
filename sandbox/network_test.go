package sandbox

import (
	"strings"
	"testing"
)

func TestParseNodeAddress(t *testing.T) {
	tests := []struct {
		in, wantAddr, wantGW, wantErr string
	}{
		{in: DefaultNodeAddress, wantAddr: "198.18.0.2/24", wantGW: "198.18.0.1"},
		{in: "10.200.0.1/16", wantAddr: "10.200.0.1/16", wantGW: "10.200.0.2"},
		{in: "192.168.5.9/30", wantAddr: "192.168.5.9/30", wantGW: "192.168.5.10"},
		{in: "198.18.0.2", wantErr: "prefix length"},
		{in: "127.0.0.2/8", wantErr: "non-loopback"},
		{in: "fd00::2/64", wantErr: "IPv4"},
		{in: "10.0.0.1/32", wantErr: "/30"},
		{in: "", wantErr: "want an IPv4"},
	}
	for _, tt := range tests {
		n, err := parseNodeAddress(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseNodeAddress(%q) = %+v, %v; want error %q", tt.in, n, err, tt.wantErr)
			}
			continue
		}
		if err != nil || n.Address.String() != tt.wantAddr || n.Gateway.String() != tt.wantGW {
			t.Errorf("parseNodeAddress(%q) = %+v, %v; want %s via %s", tt.in, n, err, tt.wantAddr, tt.wantGW)
		}
	}
}

func TestIPBatch(t *testing.T) {
	n, _ := parseNodeAddress(DefaultNodeAddress)
	want := `link add eth0 type veth peer name eth0-peer
link set eth0-peer up
addr add 198.18.0.2/24 dev eth0
link set eth0 up
route add default via 198.18.0.1 dev eth0 onlink
rule add pref 100 lookup main suppress_prefixlength 0
route add unreachable default table 100
rule add pref 101 lookup 100
`
	if got := n.ipBatch(); got != want {
		t.Errorf("ipBatch:\n%s\nwant:\n%s", got, want)
	}
}

func TestHostsFile(t *testing.T) {
	tests := []struct{ address, want string }{
		{DefaultNodeAddress, "198.18.0.2\tsbx\n"},
		{NoNetwork, "127.0.1.1\tsbx\n"},
	}
	for _, tt := range tests {
		got := hostsFile("sbx", tt.address)
		if !strings.HasPrefix(got, "127.0.0.1\tlocalhost\n") || !strings.HasSuffix(got, tt.want) {
			t.Errorf("hostsFile(sbx, %s) = %q, want it to end in %q", tt.address, got, tt.want)
		}
	}
}
