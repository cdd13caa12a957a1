package controlplane

import (
	"reflect"
	"testing"
)

func TestAPIServerArgs(t *testing.T) {
	base := APIServerConfig{
		EtcdURL:                      "https://127.0.0.1:2379",
		EtcdCAFile:                   "/p/ca.crt",
		EtcdCertFile:                 "/p/apiserver-etcd-client.crt",
		EtcdKeyFile:                  "/p/apiserver-etcd-client.key",
		CAFile:                       "/p/ca.crt",
		CertFile:                     "/p/apiserver.crt",
		KeyFile:                      "/p/apiserver.key",
		KubeletClientCertFile:        "/p/kc.crt",
		KubeletClientKeyFile:         "/p/kc.key",
		ServiceAccountKeyFile:        "/p/sa.pub",
		ServiceAccountSigningKeyFile: "/p/sa.key",
		TokenFile:                    "/p/tokens.csv",
	}
	common := []string{
		"--etcd-servers=https://127.0.0.1:2379",
		"--etcd-cafile=/p/ca.crt",
		"--etcd-certfile=/p/apiserver-etcd-client.crt",
		"--etcd-keyfile=/p/apiserver-etcd-client.key",
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--tls-cert-file=/p/apiserver.crt",
		"--tls-private-key-file=/p/apiserver.key",
		"--client-ca-file=/p/ca.crt",
		"--token-auth-file=/p/tokens.csv",
		"--anonymous-auth=false",
		"--authorization-mode=Node,RBAC",
		"--enable-admission-plugins=NodeRestriction",
		"--disable-admission-plugins=ServiceAccount",
		"--service-account-issuer=https://node-e2e.local",
		"--service-account-key-file=/p/sa.pub",
		"--service-account-signing-key-file=/p/sa.key",
		"--kubelet-client-certificate=/p/kc.crt",
		"--kubelet-client-key=/p/kc.key",
		"--kubelet-preferred-address-types=InternalIP,Hostname",
		"--allow-privileged=true",
	}
	tail := []string{"--endpoint-reconciler-type=none", "--profiling=false", "--shutdown-send-retry-after=true"}
	cases := []struct {
		name string
		mod  func(*APIServerConfig)
		want []string
	}{
		{"defaults", func(*APIServerConfig) {}, append(append(append([]string{}, common...), "--service-cluster-ip-range=10.0.0.0/24"), tail...)},
		{"service range, gates and runtime config", func(c *APIServerConfig) {
			c.ServiceClusterIPRange = "10.96.0.0/16"
			c.FeatureGates = "A=true"
			c.RuntimeConfig = "api/all=true"
		}, append(append(append(append([]string{}, common...), "--service-cluster-ip-range=10.96.0.0/16"), tail...), "--feature-gates=A=true", "--runtime-config=api/all=true")},
		{"etcd on a unix socket: no etcd TLS flags", func(c *APIServerConfig) {
			c.EtcdURL = "unix:///run/x/etcd.sock"
			c.EtcdCAFile, c.EtcdCertFile, c.EtcdKeyFile = "", "", ""
		}, append(append(append([]string{"--etcd-servers=unix:///run/x/etcd.sock"}, common[4:]...), "--service-cluster-ip-range=10.0.0.0/24"), tail...)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := base
			c.mod(&cfg)
			if got := cfg.Args(); !reflect.DeepEqual(got, c.want) {
				t.Errorf("Args() =\n %q\nwant\n %q", got, c.want)
			}
		})
	}
}
