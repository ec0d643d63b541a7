package cni

import (
	"errors"
	"fmt"

	"github.com/containernetworking/cni/pkg/types"
)

// Plugin-specific error codes (the spec reserves 0-99 for itself and leaves
// 100+ to plugins).
const (
	// ErrDrift: CHECK found the attachment differs from prevResult
	// (interface, address, route, port, masquerade or allocation missing or
	// changed).
	ErrDrift uint = 100
)

func errDecode(format string, a ...any) *types.Error {
	return types.NewError(types.ErrDecodingFailure, fmt.Sprintf(format, a...), "")
}

func errConfig(format string, a ...any) *types.Error {
	return types.NewError(types.ErrInvalidNetworkConfig, fmt.Sprintf(format, a...), "")
}

func errUnsupported(key string, value any, why string) *types.Error {
	return types.NewError(types.ErrUnsupportedField, fmt.Sprintf("unsupported field %s=%v", key, value), why)
}

func errDrift(format string, a ...any) *types.Error {
	return types.NewError(ErrDrift, "nodenet: attachment drifted: "+fmt.Sprintf(format, a...), "")
}

// asCNI keeps a *types.Error found anywhere in err's chain (so wrapping with
// %w does not lose the code) and turns anything else into code 999 with the
// full wrapped message.
func asCNI(err error) error {
	if err == nil {
		return nil
	}
	var e *types.Error
	if errors.As(err, &e) {
		if e.Msg != err.Error() {
			return types.NewError(e.Code, err.Error(), e.Details)
		}
		return e
	}
	return types.NewError(types.ErrInternal, err.Error(), "")
}
