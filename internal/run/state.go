package run

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// ServicesState is written by the services process once the control plane
// serves.
type ServicesState struct {
	// APIServerURL is the API server's https URL on loopback.
	APIServerURL string `json:"apiServerURL"`
	// EtcdURL is etcd's client URL on loopback ("https://127.0.0.1:PORT");
	// etcd admits only clients with a certificate from the run's CA.
	EtcdURL string `json:"etcdURL"`
	// Phases are the services' startup phases, in order.
	Phases []Phase `json:"phases"`
	// Registry is the image registry the services process serves.
	Registry *RegistryState `json:"registry,omitempty"`
}

// RegistryState describes the harness's image registry.
type RegistryState struct {
	// Host is the registry's host:port on loopback ("127.0.0.1:38211").
	Host string `json:"host"`
	// Username and Password open its private repositories.
	Username string `json:"username"`
	Password string `json:"password"`
	// Images maps each suite image name to its full reference, by digest
	// ("127.0.0.1:38211/busybox@sha256:…").
	Images map[string]string `json:"images"`
}

// Phase is one timed step of startup or teardown.
type Phase struct {
	Name     string        `json:"name"`
	Duration time.Duration `json:"duration"`
}

// WriteJSON writes v to path atomically with mode 0600 (WriteFile).
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return WriteFile(path, append(b, '\n'), 0o600)
}

// ReadJSON reads path into v.
func ReadJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	return nil
}
