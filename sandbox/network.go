package sandbox

import (
	"fmt"
	"net/netip"
	"strings"
)

// DefaultNodeAddress is the sandbox's own address (on eth0), from the
// benchmarking range (RFC 2544), which pod and service CIDRs do not use.
const DefaultNodeAddress = "198.18.0.2/24"

// NoNetwork as Config.NodeAddress leaves the sandbox with lo only.
const NoNetwork = "none"

// Interface names inside the sandbox.
const (
	nodeInterface = "eth0"
	peerInterface = "eth0-peer"
)

// nodeNetwork is the sandbox's eth0: an address and the gateway of its
// default route.
type nodeNetwork struct {
	Address netip.Prefix
	Gateway netip.Addr
}

// parseNodeAddress parses Config.NodeAddress: an IPv4 address with prefix
// length, not loopback, with room for a gateway in its subnet.
func parseNodeAddress(s string) (nodeNetwork, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return nodeNetwork{}, fmt.Errorf("node address %q: want an IPv4 address with prefix length, e.g. %s, or %q", s, DefaultNodeAddress, NoNetwork)
	}
	a := p.Addr()
	if !a.Is4() || a.IsLoopback() || a.IsUnspecified() || p.Bits() > 30 {
		return nodeNetwork{}, fmt.Errorf("node address %q: want a non-loopback IPv4 address in a subnet of /30 or larger", s)
	}
	gw := p.Masked().Addr().Next()
	if gw == a {
		gw = gw.Next()
	}
	return nodeNetwork{Address: p, Gateway: gw}, nil
}

// unreachableTable is the routing table whose only route, an unreachable
// default, answers for every destination the main table has no specific
// route to.
const unreachableTable = "100"

// ipBatch returns the `ip -batch -` commands that give the sandbox its
// node address: a veth pair whose both ends stay in the sandbox's network
// namespace, the address on eth0, and a default route through the peer in
// the main table, which is where the kubelet looks for its node IP
// (/proc/net/route). Policy rules then ignore that default route when
// routing: the main table answers only for more specific routes (local
// subnets, the pods' bridge), and everything else is unreachable at once.
// A default route into the silent peer would make every connection off the
// box hang instead, DNS lookups included (the kubelet resolves its
// hostname: 10 s per node status update).
func (n nodeNetwork) ipBatch() string {
	return strings.Join([]string{
		"link add " + nodeInterface + " type veth peer name " + peerInterface,
		"link set " + peerInterface + " up",
		"addr add " + n.Address.String() + " dev " + nodeInterface,
		"link set " + nodeInterface + " up",
		"route add default via " + n.Gateway.String() + " dev " + nodeInterface + " onlink",
		"rule add pref 100 lookup main suppress_prefixlength 0",
		"route add unreachable default table " + unreachableTable,
		"rule add pref 101 lookup " + unreachableTable,
	}, "\n") + "\n"
}

// hostsFile returns /etc/hosts for the sandbox: localhost, and its name at
// the node address (127.0.1.1, as Debian does, without one).
func hostsFile(name, nodeAddress string) string {
	ip := "127.0.1.1"
	if n, err := parseNodeAddress(nodeAddress); err == nil {
		ip = n.Address.Addr().String()
	}
	return "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" + ip + "\t" + name + "\n"
}
