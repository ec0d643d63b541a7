package plugininit

import "testing"

func TestIsCNIInvocation(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if isCNIInvocation(getenv) {
		t.Error("no CNI_COMMAND: want agent CLI")
	}
	env["CNI_COMMAND"] = "ADD"
	if !isCNIInvocation(getenv) {
		t.Error("CNI_COMMAND=ADD: want CNI plugin")
	}
}
