package app

import "errors"

// ExitError is an error that asks main for a given exit status. With Err
// nil nothing is printed: `nodenet trace` exits 1 on a deny, whose verdict
// is already on stdout.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return ""
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// ExitCode is the process exit status for err returned by the root
// command: an ExitError's code, 1 for any other error, 0 for nil.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var exit *ExitError
	if errors.As(err, &exit) {
		return exit.Code
	}
	return 1
}

// usageError is exit status 2, what trace uses for anything that is not a
// verdict.
func usageError(err error) error {
	if err == nil {
		return nil
	}
	return &ExitError{Code: 2, Err: err}
}
