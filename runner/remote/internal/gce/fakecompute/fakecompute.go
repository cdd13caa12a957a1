package fakecompute

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"

	compute "google.golang.org/api/compute/v1"
)

// Server is the fake API.
type Server struct {
	// NatIP is every instance's external IP. Default 127.0.0.1.
	NatIP string
	// BootPolls is how many gets report STAGING before RUNNING.
	BootPolls int
	// Images are the images by project, for getFromFamily and list.
	Images map[string][]*compute.Image

	srv *httptest.Server

	mu        sync.Mutex
	instances map[string]*instance
	inserted  []*compute.Instance
	deleted   []string
	ops       int
}

type instance struct {
	inst  *compute.Instance
	polls int
}

// Start starts a fake server; Close stops it.
func Start() *Server {
	s := &Server{NatIP: "127.0.0.1", instances: map[string]*instance{}, Images: map[string][]*compute.Image{}}
	mux := http.NewServeMux()
	const zone = "/compute/v1/projects/{project}/zones/{zone}"
	mux.HandleFunc("POST "+zone+"/instances", s.insert)
	mux.HandleFunc("GET "+zone+"/instances", s.list)
	mux.HandleFunc("GET "+zone+"/instances/{name}", s.get)
	mux.HandleFunc("DELETE "+zone+"/instances/{name}", s.delete)
	mux.HandleFunc("GET "+zone+"/instances/{name}/serialPort", s.serial)
	mux.HandleFunc("GET "+zone+"/operations/{op}", s.operation)
	mux.HandleFunc("POST "+zone+"/operations/{op}/wait", s.operation)
	mux.HandleFunc("GET /compute/v1/projects/{project}/global/images/family/{family}", s.family)
	mux.HandleFunc("GET /compute/v1/projects/{project}/global/images", s.listImages)
	s.srv = httptest.NewServer(mux)
	return s
}

// Endpoint is the value for --gce-endpoint.
func (s *Server) Endpoint() string { return s.srv.URL + "/compute/v1/" }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Live returns the names of the instances that exist, sorted.
func (s *Server) Live() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for n := range s.instances {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Inserted returns every instance inserted, in order.
func (s *Server) Inserted() []*compute.Instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*compute.Instance(nil), s.inserted...)
}

// Deleted returns the names of the instances deleted, in order.
func (s *Server) Deleted() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.deleted...)
}

// Add creates an instance directly, as if another run had left it.
func (s *Server) Add(inst *compute.Instance) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.instances[inst.Name] = &instance{inst: inst, polls: s.BootPolls}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg}})
}

// done returns a finished operation (the caller holds mu).
func (s *Server) done(r *http.Request, kind, target string) *compute.Operation {
	s.ops++
	return &compute.Operation{Name: fmt.Sprintf("operation-%d", s.ops), OperationType: kind, Status: "DONE",
		TargetLink: target, Zone: r.PathValue("zone")}
}

func (s *Server) insert(w http.ResponseWriter, r *http.Request) {
	var inst compute.Instance
	if err := json.NewDecoder(r.Body).Decode(&inst); err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.instances[inst.Name]; ok {
		apiError(w, http.StatusConflict, "instance "+inst.Name+" already exists")
		return
	}
	stored := inst
	stored.Status = "PROVISIONING"
	s.instances[inst.Name] = &instance{inst: &stored}
	s.inserted = append(s.inserted, &inst)
	writeJSON(w, s.done(r, "insert", inst.Name))
}

func (s *Server) get(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.instances[r.PathValue("name")]
	if !ok {
		apiError(w, http.StatusNotFound, "instance "+r.PathValue("name")+" not found")
		return
	}
	inst := *in.inst
	if in.polls < s.BootPolls {
		in.polls++
		inst.Status = "STAGING"
	} else {
		inst.Status = "RUNNING"
		inst.NetworkInterfaces = []*compute.NetworkInterface{{
			NetworkIP:     "10.128.0.2",
			AccessConfigs: []*compute.AccessConfig{{Name: "external-nat", Type: "ONE_TO_ONE_NAT", NatIP: s.NatIP}},
		}}
	}
	writeJSON(w, &inst)
}

func (s *Server) delete(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name := r.PathValue("name")
	if _, ok := s.instances[name]; !ok {
		apiError(w, http.StatusNotFound, "instance "+name+" not found")
		return
	}
	delete(s.instances, name)
	s.deleted = append(s.deleted, name)
	writeJSON(w, s.done(r, "delete", name))
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	key, val, filtered := strings.Cut(strings.TrimPrefix(r.URL.Query().Get("filter"), "labels."), "=")
	s.mu.Lock()
	defer s.mu.Unlock()
	l := &compute.InstanceList{}
	for _, in := range s.instances {
		if !filtered || in.inst.Labels[key] == val {
			l.Items = append(l.Items, in.inst)
		}
	}
	sort.Slice(l.Items, func(i, j int) bool { return l.Items[i].Name < l.Items[j].Name })
	writeJSON(w, l)
}

func (s *Server) serial(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name := r.PathValue("name")
	if _, ok := s.instances[name]; !ok {
		apiError(w, http.StatusNotFound, "instance "+name+" not found")
		return
	}
	writeJSON(w, &compute.SerialPortOutput{Contents: "fake serial console of " + name + "\n"})
}

func (s *Server) operation(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, &compute.Operation{Name: r.PathValue("op"), Status: "DONE", Zone: r.PathValue("zone")})
}

func (s *Server) family(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var best *compute.Image
	for _, img := range s.Images[r.PathValue("project")] {
		if img.Family == r.PathValue("family") && (best == nil || img.CreationTimestamp > best.CreationTimestamp) {
			best = img
		}
	}
	if best == nil {
		apiError(w, http.StatusNotFound, "no image in family "+r.PathValue("family"))
		return
	}
	writeJSON(w, best)
}

func (s *Server) listImages(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, &compute.ImageList{Items: s.Images[r.PathValue("project")]})
}
