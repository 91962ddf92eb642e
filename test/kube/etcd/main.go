// Command etcd is the upstream etcd server (go.etcd.io/etcd/server/v3/etcdmain), built from Go
// modules as the storage of the kube-apiserver in the cfs-gitops integration tests.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
