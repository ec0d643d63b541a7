// Package vm boots a stock Debian kernel under qemu with the project's
// static test binaries in its initramfs, runs them, and hands their
// results back to the host's `go test`. The development and CI kernels
// have no IPVS (and no dummy links); Debian's kernel has both as modules.
//
// Packages are fetched with apt-get download and the base image is cached
// by content under the cache directory (NODENET_VM_CACHE, default
// /var/cache/nodenet-vm): a new package version or recipe gives a new key.
package vm
