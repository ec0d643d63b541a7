package app

import (
	"fmt"
	"os"
	"reflect"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	kubeproxyconfig "k8s.io/kube-proxy/config/v1alpha1"
	"sigs.k8s.io/yaml"
)

// configCodecs decodes kube-proxy's v1alpha1 configuration strictly:
// unknown and duplicate fields are errors, as in kube-proxy. The scheme has
// no defaulting functions: fileOptions applies kube-proxy's defaults itself,
// so a field the file leaves out (or zero, as kubeadm writes them) keeps
// nodenet's default, which is kube-proxy's.
var configCodecs = func() serializer.CodecFactory {
	scheme := runtime.NewScheme()
	if err := kubeproxyconfig.AddToScheme(scheme); err != nil {
		panic(err) // registering one static type cannot fail
	}
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict)
}()

const configKind = "KubeProxyConfiguration"

// loadConfigFile reads a KubeProxyConfiguration (kubeadm's config.conf).
func loadConfigFile(path string) (*kubeproxyconfig.KubeProxyConfiguration, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if err := checkTypeMeta(data); err != nil {
		return nil, err
	}
	obj, _, err := configCodecs.UniversalDeserializer().Decode(data, nil, nil)
	if err != nil {
		return nil, decodeError(data, err)
	}
	c, ok := obj.(*kubeproxyconfig.KubeProxyConfiguration)
	if !ok { // unreachable while the scheme holds one type
		return nil, fmt.Errorf("decoded a %T, want a %s", obj, configKind)
	}
	return c, nil
}

// checkTypeMeta rejects another kind or version with a one-line error; the
// decoder's own "no kind is registered" message names a Go source line.
func checkTypeMeta(data []byte) error {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(data, &tm); err != nil {
		return fmt.Errorf("not a YAML or JSON object: %w", err)
	}
	want := kubeproxyconfig.SchemeGroupVersion.String()
	if tm.APIVersion != want {
		return fmt.Errorf("apiVersion: %q is not supported (want %s)", tm.APIVersion, want)
	}
	if tm.Kind != configKind {
		return fmt.Errorf("kind: %q is not supported (want %s)", tm.Kind, configKind)
	}
	return nil
}

// decodeError names the field the decoder choked on when its message
// does not, and keeps the message on one line.
func decodeError(data []byte, err error) error {
	err = oneLineError{err}
	path := badFieldPath(data, reflect.TypeFor[kubeproxyconfig.KubeProxyConfiguration]())
	if path == "" || strings.Contains(err.Error(), path) {
		return fmt.Errorf("decoding: %w", err)
	}
	return fmt.Errorf("%s: %w", path, err)
}
