package options

import (
	"flag"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// addAwaitStartFlags binds --await-start (runner/remote's cluster mode runs
// it in each suite pod before ginkgo).
func (c *Config) addAwaitStartFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.AwaitStart, "await-start", c.AwaitStart, "start-barrier mode: NAMESPACE/POD: watch the pod through --host (or --kubeconfig), mark it node-e2e.io/waiting, exit 0 when its node-e2e.io/start annotation is set (3 if it says abort)")
}

// AwaitStartPod splits --await-start into namespace and pod name.
func (c *Config) AwaitStartPod() (namespace, name string, err error) {
	namespace, name, ok := strings.Cut(c.AwaitStart, "/")
	if !ok || len(validation.IsDNS1123Label(namespace)) > 0 || len(validation.IsDNS1123Subdomain(name)) > 0 {
		return "", "", fmt.Errorf("--await-start=%q: want NAMESPACE/POD (the suite pod's own namespace and name)", c.AwaitStart)
	}
	if c.Host == "" && c.Kubeconfig == "" {
		return "", "", fmt.Errorf("--await-start needs the API server: give --host with --bearer-token-file and --host-ca-file, or --kubeconfig")
	}
	return namespace, name, nil
}
