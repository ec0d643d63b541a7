package vm

import "os"

// CacheDir is where downloaded packages and base images are kept:
// $NODENET_VM_CACHE, else /var/cache/nodenet-vm (outside the work tree).
func CacheDir() string {
	if dir := os.Getenv("NODENET_VM_CACHE"); dir != "" {
		return dir
	}
	return "/var/cache/nodenet-vm"
}
