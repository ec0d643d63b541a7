// Package guest holds checks that run only inside the test VM (build tag
// vmguest): the harness's own proof that IPVS carries real TCP between
// namespaces there. test/vm builds them with `go test -c -tags vmguest`.
package guest
