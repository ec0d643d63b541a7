package netpol

// Direction is the side of a pod a rule guards.
type Direction int

const (
	// Ingress is traffic arriving at the pod.
	Ingress Direction = iota
	// Egress is traffic leaving the pod.
	Egress
)

func (d Direction) String() string {
	if d == Egress {
		return "egress"
	}
	return "ingress"
}
