package source

import (
	"k8s.io/apimachinery/pkg/api/meta"
)

// Permission is one RBAC rule's worth of API access: verbs on a resource
// of an API group ("" is core).
type Permission struct {
	Group, Resource string
	Verbs           []string
}

// Permissions is every API access the agent makes through Client: list and
// watch on each kind it watches (one informer each), and create and patch
// on core Events (the recorder patches an Event that repeats). The
// ClusterRole in deploy/kubernetes must grant exactly these
// (deploy/deploy_test.go); TestPermissionsCoverRequests checks the client
// asks for nothing else.
func Permissions() []Permission {
	ps := make([]Permission, 0, len(kinds)+1)
	for _, k := range kinds {
		// The informers' resources are the kinds' plurals (informer_kinds.go);
		// none of them is irregular.
		resource, _ := meta.UnsafeGuessKindToResource(k.gvk)
		ps = append(ps, Permission{Group: k.gvk.Group, Resource: resource.Resource, Verbs: []string{"list", "watch"}})
	}
	return append(ps, Permission{Group: "", Resource: "events", Verbs: []string{"create", "patch"}})
}
