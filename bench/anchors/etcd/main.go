// Command etcd is etcd's own server main (go.etcd.io/etcd/server/v3/etcdmain)
// built from the version pinned in go.mod, so that the envtest anchor of
// `make bench` runs the etcd the harness embeds. Built by bench/build-anchors.sh
// only, never by `make build` or CI.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
