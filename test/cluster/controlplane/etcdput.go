package controlplane

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// StoreRaw writes obj as JSON straight into etcd under the API server's
// key for it ("/registry/<resource>/<namespace>/<name>"), bypassing
// validation: how a test gets an object that was valid when stored and is
// not under today's rules (or was written by a buggy client of an older
// server). The API server serves it, and its watchers see it, like any
// other (it stores JSON: --storage-media-type).
func (cp *ControlPlane) StoreRaw(resource, namespace, name string, obj any) error {
	value, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("/registry/%s/%s/%s", resource, namespace, name)
	// etcd's JSON gateway: no etcd client library needed.
	body, _ := json.Marshal(map[string]string{
		"key":   base64.StdEncoding.EncodeToString([]byte(key)),
		"value": base64.StdEncoding.EncodeToString(value),
	})
	resp, err := http.Post(cp.EtcdURL+"/v3/kv/put", "application/json", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("etcd put %s: %w", key, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("etcd put %s: %s: %s", key, resp.Status, msg)
	}
	return nil
}
