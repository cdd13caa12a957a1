package options

import (
	"flag"
	"strings"
	"time"

	"github.com/node-e2e/harness/e2e_node/janitor"
)

// addJanitorFlags binds the janitor mode's flags (runner/remote's cluster
// mode runs it in each run's janitor pod).
func (c *Config) addJanitorFlags(fs *flag.FlagSet) {
	fs.Int64Var(&c.JanitorAt, "janitor-at", c.JanitorAt, "janitor mode: at this time (unix seconds), DELETE each --janitor-delete path with --bearer-token-file against --host, then exit")
	fs.StringVar(&c.JanitorDelete, "janitor-delete", c.JanitorDelete, "janitor mode: API paths to delete, in order, comma separated")
}

// JanitorConfig is the janitor mode's configuration from the flags.
func (c *Config) JanitorConfig() janitor.Config {
	var paths []string
	for _, p := range strings.Split(c.JanitorDelete, ",") {
		if p = strings.TrimSpace(p); p != "" {
			paths = append(paths, p)
		}
	}
	jc := janitor.Config{Paths: paths, Host: c.Host, TokenFile: c.BearerTokenFile, CAFile: c.HostCAFile}
	if c.JanitorAt != 0 {
		jc.At = time.Unix(c.JanitorAt, 0)
	}
	return jc
}
