package deploy

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/nodenet/nodenet/source"
)

// manifest is deploy/kubernetes decoded, by kind.
type manifest struct {
	serviceAccount *v1.ServiceAccount
	roles          []*rbacv1.ClusterRole
	bindings       []*rbacv1.ClusterRoleBinding
	configMap      *v1.ConfigMap
	daemonSet      *appsv1.DaemonSet
}

func loadManifest(t *testing.T) *manifest {
	t.Helper()
	objs, err := Objects(KubernetesDir())
	if err != nil {
		t.Fatal(err)
	}
	m := &manifest{}
	for _, o := range objs {
		switch obj := o.Object.(type) {
		case *v1.ServiceAccount:
			m.serviceAccount = obj
		case *rbacv1.ClusterRole:
			m.roles = append(m.roles, obj)
		case *rbacv1.ClusterRoleBinding:
			m.bindings = append(m.bindings, obj)
		case *v1.ConfigMap:
			m.configMap = obj
		case *appsv1.DaemonSet:
			m.daemonSet = obj
		default:
			t.Errorf("%s: unexpected %T", o.File, obj)
		}
	}
	if m.serviceAccount == nil || len(m.roles) == 0 || len(m.bindings) == 0 || m.configMap == nil || m.daemonSet == nil {
		t.Fatalf("want a ServiceAccount, ClusterRoles and bindings, a ConfigMap and a DaemonSet; got %+v", m)
	}
	return m
}

// TestClusterRoleGrantsWhatTheAgentUses: the roles bound to the
// ServiceAccount grant exactly source.Permissions, the agent's requests:
// one missing and the agent never syncs (or its firewall enforces
// nothing); one more is a privilege it does not need.
func TestClusterRoleGrantsWhatTheAgentUses(t *testing.T) {
	m := loadManifest(t)
	granted := sets.New[string]()
	for _, role := range m.boundRoles(t) {
		for _, rule := range role.Rules {
			if len(rule.ResourceNames) > 0 || len(rule.NonResourceURLs) > 0 {
				t.Errorf("ClusterRole %s: rule %+v: the agent's requests are by resource only", role.Name, rule)
			}
			for _, g := range rule.APIGroups {
				for _, r := range rule.Resources {
					for _, v := range rule.Verbs {
						granted.Insert(g + "/" + r + ":" + v)
					}
				}
			}
		}
	}
	want := sets.New[string]()
	for _, p := range source.Permissions() {
		for _, v := range p.Verbs {
			want.Insert(p.Group + "/" + p.Resource + ":" + v)
		}
	}
	if !granted.Equal(want) {
		t.Errorf("missing: %v; not used by the agent: %v", sets.List(want.Difference(granted)), sets.List(granted.Difference(want)))
	}
}

// boundRoles are the manifest's ClusterRoles its bindings give its
// ServiceAccount; a binding to a role outside the manifest is an error
// (its rules could not be checked).
func (m *manifest) boundRoles(t *testing.T) []*rbacv1.ClusterRole {
	t.Helper()
	var bound []*rbacv1.ClusterRole
	for _, b := range m.bindings {
		if !slices.ContainsFunc(b.Subjects, func(s rbacv1.Subject) bool {
			return s.Kind == "ServiceAccount" && s.Name == m.serviceAccount.Name && s.Namespace == m.serviceAccount.Namespace
		}) {
			t.Errorf("ClusterRoleBinding %s does not bind the ServiceAccount %s/%s", b.Name, m.serviceAccount.Namespace, m.serviceAccount.Name)
		}
		i := slices.IndexFunc(m.roles, func(r *rbacv1.ClusterRole) bool { return r.Name == b.RoleRef.Name })
		if b.RoleRef.Kind != "ClusterRole" || i < 0 {
			t.Errorf("ClusterRoleBinding %s binds %s %s, not a ClusterRole of the manifest", b.Name, b.RoleRef.Kind, b.RoleRef.Name)
			continue
		}
		bound = append(bound, m.roles[i])
	}
	return bound
}

func TestDaemonSet(t *testing.T) {
	m := loadManifest(t)
	pod := m.daemonSet.Spec.Template.Spec
	if !pod.HostNetwork || pod.ServiceAccountName != m.serviceAccount.Name || pod.PriorityClassName != "system-node-critical" {
		t.Errorf("pod: hostNetwork %v, serviceAccount %q, priorityClass %q; want true, %q, system-node-critical",
			pod.HostNetwork, pod.ServiceAccountName, pod.PriorityClassName, m.serviceAccount.Name)
	}
	if !slices.Equal(pod.Tolerations, []v1.Toleration{{Operator: v1.TolerationOpExists}}) {
		t.Errorf("tolerations %+v, want kube-proxy's: one with operator Exists", pod.Tolerations)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	checkSecurityContext(t, c.SecurityContext)
	checkProbe(t, "liveness", c.LivenessProbe, "/livez")
	checkProbe(t, "readiness", c.ReadinessProbe, "/healthz")
	mounts := hostPathMounts(pod)
	for _, path := range []string{"/etc/cni/net.d", "/opt/cni/bin", "/run/xtables.lock"} {
		if mounts[path] != path {
			t.Errorf("host path %s is mounted at %q, want the same path", path, mounts[path])
		}
	}
	if len(mounts) != 3 {
		t.Errorf("host paths %v, want only the CNI dirs and the xtables lock", mounts)
	}
	configArg := "--config=" + configPath(t, m)
	if len(c.Command) != 0 || !slices.Contains(c.Args, "agent") || !slices.Contains(c.Args, configArg) {
		t.Errorf("command %q args %q: want the image's entrypoint with agent and %s", c.Command, c.Args, configArg)
	}
}

func checkSecurityContext(t *testing.T, sc *v1.SecurityContext) {
	t.Helper()
	if sc == nil || sc.Privileged == nil || *sc.Privileged || sc.Capabilities == nil {
		t.Fatalf("securityContext %+v: want not privileged, with capabilities", sc)
	}
	want := []v1.Capability{"NET_ADMIN", "NET_RAW"}
	if !slices.Equal(sc.Capabilities.Add, want) || !slices.Equal(sc.Capabilities.Drop, []v1.Capability{"ALL"}) {
		t.Errorf("capabilities %+v, want all dropped but %v", sc.Capabilities, want)
	}
}

func checkProbe(t *testing.T, name string, p *v1.Probe, path string) {
	t.Helper()
	if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != path || p.HTTPGet.Port.IntValue() != 10256 {
		t.Errorf("%s probe %+v, want GET %s on 10256 (the healthz port)", name, p, path)
	}
}

// hostPathMounts maps each host path to where the container mounts it.
func hostPathMounts(pod v1.PodSpec) map[string]string {
	hostPaths := map[string]string{}
	for _, vol := range pod.Volumes {
		if vol.HostPath != nil {
			hostPaths[vol.Name] = vol.HostPath.Path
		}
	}
	mounts := map[string]string{}
	for _, m := range pod.Containers[0].VolumeMounts {
		if path, ok := hostPaths[m.Name]; ok {
			mounts[path] = m.MountPath
		}
	}
	return mounts
}

// configPath is where the container sees the ConfigMap's one file.
func configPath(t *testing.T, m *manifest) string {
	t.Helper()
	pod := m.daemonSet.Spec.Template.Spec
	i := slices.IndexFunc(pod.Volumes, func(v v1.Volume) bool {
		return v.ConfigMap != nil && v.ConfigMap.Name == m.configMap.Name
	})
	if i < 0 || len(m.configMap.Data) != 1 {
		t.Fatalf("the DaemonSet mounts no ConfigMap %s, or it does not hold one file", m.configMap.Name)
	}
	j := slices.IndexFunc(pod.Containers[0].VolumeMounts, func(vm v1.VolumeMount) bool { return vm.Name == pod.Volumes[i].Name })
	if j < 0 {
		t.Fatalf("the container does not mount volume %s", pod.Volumes[i].Name)
	}
	var path string
	for key := range m.configMap.Data { // its one key
		path = strings.TrimSuffix(pod.Containers[0].VolumeMounts[j].MountPath, "/") + "/" + key
	}
	return path
}
