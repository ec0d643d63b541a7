package cni

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/containernetworking/cni/pkg/types"
	"github.com/containernetworking/cni/pkg/types/create"
)

// This file replaces containernetworking/cni's pkg/invoke for the one thing
// the plugin needs from it: running a delegated IPAM plugin. invoke links
// OpenTelemetry and net/http (to pass a trace context we never have), and
// package cni must link neither: the plugin runs from an early package
// init (internal/plugininit) that only stays early while package cni's
// imports stay light. The behaviour is invoke's: the plugin is looked up
// in CNI_PATH, runs with our environment and CNI_COMMAND set to the verb,
// gets the same stdin, and its error object is returned as is.

// delegate runs the plugin named by the config's ipam.type for verb and
// returns its stdout.
func delegate(verb, plugin string, netconf []byte) ([]byte, error) {
	path, err := findInPath(plugin, filepath.SplitList(os.Getenv("CNI_PATH")))
	if err != nil {
		return nil, err
	}
	var stdout, stderr bytes.Buffer
	// A plugin binary being replaced (the installer's rename) can fail
	// with ETXTBSY for a moment; invoke retries five times a second apart.
	for attempt := 0; ; attempt++ {
		stdout.Reset()
		stderr.Reset()
		cmd := exec.Command(path)
		cmd.Env = append(os.Environ(), "CNI_COMMAND="+verb) // the last value wins
		cmd.Stdin = bytes.NewReader(netconf)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err = cmd.Run()
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.ETXTBSY) || attempt == 5 {
			return nil, delegateError(err, stdout.Bytes(), stderr.Bytes())
		}
		time.Sleep(time.Second)
	}
	if stderr.Len() > 0 {
		_, _ = stderr.WriteTo(os.Stderr) // informational, as invoke does
	}
	return stdout.Bytes(), nil
}

// delegateAdd runs ADD and decodes the result. A result that names no
// cniVersion is taken to be of the config's version, as invoke does.
func delegateAdd(plugin string, netconf []byte) (types.Result, error) {
	out, err := delegate("ADD", plugin, netconf)
	if err != nil {
		return nil, err
	}
	var result map[string]any
	if err := json.Unmarshal(out, &result); err != nil {
		return nil, fmt.Errorf("decode the result %q: %w", out, err)
	}
	if v, _ := result["cniVersion"].(string); v != "" {
		return create.Create(v, out)
	}
	var conf struct {
		CNIVersion string `json:"cniVersion"`
	}
	if err := json.Unmarshal(netconf, &conf); err != nil {
		return nil, fmt.Errorf("decode the config: %w", err)
	}
	if result == nil { // the plugin printed null
		result = map[string]any{}
	}
	result["cniVersion"] = conf.CNIVersion
	if out, err = json.Marshal(result); err != nil {
		return nil, err
	}
	return create.Create(conf.CNIVersion, out)
}

// delegateError prefers the plugin's own error object, so its code
// reaches the runtime.
func delegateError(err error, stdout, stderr []byte) error {
	e := &types.Error{}
	switch {
	case len(stdout) > 0:
		if perr := json.Unmarshal(stdout, e); perr != nil {
			e.Msg = fmt.Sprintf("netplugin failed but error parsing its diagnostic message %q: %v", stdout, perr)
		}
	case len(stderr) > 0:
		e.Msg = fmt.Sprintf("netplugin failed: %q: %v", stderr, err)
	default:
		e.Msg = fmt.Sprintf("netplugin failed with no error message: %v", err)
	}
	return e
}

func findInPath(plugin string, paths []string) (string, error) {
	if plugin == "" || strings.ContainsRune(plugin, os.PathSeparator) {
		return "", fmt.Errorf("invalid plugin name %q", plugin)
	}
	for _, dir := range paths {
		full := filepath.Join(dir, plugin)
		if fi, err := os.Stat(full); err == nil && fi.Mode().IsRegular() {
			return full, nil
		}
	}
	return "", fmt.Errorf("failed to find plugin %q in path %s", plugin, paths)
}
