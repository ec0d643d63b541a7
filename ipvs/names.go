package ipvs

// DummyName is the interface that holds the frontend addresses (at most
// 15 bytes, IFNAMSIZ-1).
const DummyName = "nodenet-ipvs0"

// NodePortMin and NodePortMax bound the ports of the virtual servers on
// node addresses that nodenet owns (kube-apiserver's default
// --service-node-port-range): a virtual server on a node address outside
// it belongs to someone else and is never touched.
const (
	NodePortMin = 30000
	NodePortMax = 32767
)
