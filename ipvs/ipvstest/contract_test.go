package ipvstest

import "testing"

func TestFakeKernelContract(t *testing.T) { KernelContract(t, NewKernel()) }

func TestFakeAddrsContract(t *testing.T) { AddrsContract(t, NewAddrs()) }
