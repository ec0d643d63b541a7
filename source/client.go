package source

import (
	"fmt"
	"sync"

	v1 "k8s.io/api/core/v1"
	discovery "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"
)

// Client is nodenet's API client: one REST client per group-version that
// nodenet reads or writes, decoding with a scheme that holds only those
// groups. It replaces client-go's full clientset on purpose: the binary is
// also exec'd as the CNI plugin for every pod, and the clientset's package
// init (about 50 API groups registered, apply configurations, discovery)
// cost each exec ~20 ms of CPU before main even ran.
type Client struct {
	core       *rest.RESTClient // "" v1: Services, Nodes, Pods, Namespaces, Events
	discovery  *rest.RESTClient // discovery.k8s.io/v1: EndpointSlices
	networking *rest.RESTClient // networking.k8s.io/v1: NetworkPolicies
}

// Protobuf like kube-proxy (cheaper to decode EndpointSlice churn), with
// JSON for servers or kinds without it.
const (
	contentTypeProtobuf = "application/vnd.kubernetes.protobuf"
	acceptContentTypes  = contentTypeProtobuf + ",application/json"
)

// NewClient builds the REST clients from cfg. As in client-go's clientset,
// they share one HTTP client (one connection pool) and, when cfg sets QPS,
// one rate limiter, so splitting by group multiplies neither.
func NewClient(cfg *rest.Config) (*Client, error) {
	base := rest.CopyConfig(cfg)
	base.ContentType = contentTypeProtobuf
	base.AcceptContentTypes = acceptContentTypes
	base.NegotiatedSerializer = codecs().WithoutConversion()
	if base.Dial == nil {
		base.Dial = newServerDialer().DialContext // see dial.go
	}
	if base.UserAgent == "" {
		base.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	if base.RateLimiter == nil && base.QPS > 0 {
		if base.Burst <= 0 {
			return nil, fmt.Errorf("API client config: burst must be positive when QPS (%v) is set", base.QPS)
		}
		base.RateLimiter = flowcontrol.NewTokenBucketRateLimiter(base.QPS, base.Burst)
	}
	httpClient, err := rest.HTTPClientFor(base)
	if err != nil {
		return nil, fmt.Errorf("API client transport: %w", err)
	}
	var c Client
	for _, g := range []struct {
		client  **rest.RESTClient
		gv      schema.GroupVersion
		apiPath string
	}{
		{&c.core, v1.SchemeGroupVersion, "/api"},
		{&c.discovery, discovery.SchemeGroupVersion, "/apis"},
		{&c.networking, networkingv1.SchemeGroupVersion, "/apis"},
	} {
		gvCfg := rest.CopyConfig(base)
		gvCfg.GroupVersion, gvCfg.APIPath = &g.gv, g.apiPath
		if *g.client, err = rest.RESTClientForConfigAndClient(gvCfg, httpClient); err != nil {
			return nil, fmt.Errorf("API client for %s: %w", g.gv, err)
		}
	}
	return &c, nil
}

// Scheme knows exactly the kinds nodenet reads or writes (plus the meta/v1
// types every group needs: options, Status, WatchEvent). Event recorders
// use it to name the kind of the objects Events are about.
func Scheme() *runtime.Scheme { return loadScheme().scheme }

func codecs() serializer.CodecFactory { return loadScheme().codecs }

type apiScheme struct {
	scheme *runtime.Scheme
	codecs serializer.CodecFactory
}

// loadScheme builds the scheme on first use, not in package init: a CNI
// exec of the binary never needs it.
var loadScheme = sync.OnceValue(func() apiScheme {
	s := runtime.NewScheme()
	utilruntime.Must(v1.AddToScheme(s))
	utilruntime.Must(discovery.AddToScheme(s))
	utilruntime.Must(networkingv1.AddToScheme(s))
	metav1.AddToGroupVersion(s, schema.GroupVersion{Version: "v1"})
	return apiScheme{scheme: s, codecs: serializer.NewCodecFactory(s)}
})
