package gce

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"time"

	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/node-e2e/harness/internal/proc"
)

// Config says where and how to create instances.
type Config struct {
	// Project and Zone hold the instances. Required.
	Project, Zone string
	// Endpoint, when set, replaces the Compute API's endpoint, e.g.
	// http://127.0.0.1:8080/compute/v1/, and turns authentication off.
	// Default: Google's endpoint with Application Default Credentials.
	Endpoint string
	// MachineType is the default machine type. Default "e2-standard-2".
	MachineType string
	// Network and Subnet place the instance's interface. Default the
	// project's "default" network, no subnet.
	Network, Subnet string
	// Preemptible makes instances preemptible. Default false.
	Preemptible bool
	// DiskSizeGB is the boot disk's size. Default 20.
	DiskSizeGB int64
	// RunID labels every instance (LabelKey). Required.
	RunID string
	// Timeout bounds each API call, including waiting for its operation.
	// Default 5m.
	Timeout time.Duration
	// PollInterval is how often AwaitRunning looks. Default 5s.
	PollInterval time.Duration
}

// NewConfig returns a Config with the defaults filled in.
func NewConfig() Config {
	return Config{MachineType: "e2-standard-2", Network: "default", DiskSizeGB: 20, Timeout: 5 * time.Minute, PollInterval: 5 * time.Second}
}

// Validate checks c without touching anything.
func (c Config) Validate() error {
	var errs []error
	if c.Project == "" {
		errs = append(errs, errors.New("gce: no project"))
	}
	if c.Zone == "" {
		errs = append(errs, errors.New("gce: no zone"))
	}
	if !ValidRunID(c.RunID) {
		errs = append(errs, fmt.Errorf("gce: run id %q is not a label value", c.RunID))
	}
	if c.MachineType == "" {
		errs = append(errs, errors.New("gce: no machine type"))
	}
	if c.DiskSizeGB < 10 {
		errs = append(errs, fmt.Errorf("gce: disk size %d GB: want at least 10", c.DiskSizeGB))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("gce: timeout %s: want more than 0", c.Timeout))
	}
	return errors.Join(errs...)
}

// Compute creates, inspects and deletes the run's instances.
type Compute struct {
	cfg Config
	svc *compute.Service
}

// New returns a Compute talking to the API.
func New(ctx context.Context, cfg Config) (*Compute, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var opts []option.ClientOption
	if cfg.Endpoint != "" {
		opts = append(opts, option.WithEndpoint(cfg.Endpoint), option.WithoutAuthentication())
	}
	svc, err := compute.NewService(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("gce: compute API client: %w", err)
	}
	return &Compute{cfg: cfg, svc: svc}, nil
}

// IsNotFound reports whether err is the API's 404.
func IsNotFound(err error) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && ge.Code == http.StatusNotFound
}

// ResolveImage returns the image to boot for s: s.Image, or the newest
// image of s.Project in s.ImageFamily and/or matching s.ImageRegex.
func (g *Compute) ResolveImage(ctx context.Context, s Spec) (string, error) {
	if s.Image != "" {
		return s.Image, nil
	}
	ctx, cancel := context.WithTimeout(ctx, g.cfg.Timeout)
	defer cancel()
	if s.ImageRegex == "" {
		img, err := g.svc.Images.GetFromFamily(s.Project, s.ImageFamily).Context(ctx).Do()
		if err != nil {
			return "", fmt.Errorf("gce: image family %s/%s: %w", s.Project, s.ImageFamily, err)
		}
		return img.Name, nil
	}
	re, err := regexp.Compile(s.ImageRegex)
	if err != nil {
		return "", fmt.Errorf("gce: image_regex %q: %w", s.ImageRegex, err)
	}
	var matches []*compute.Image
	err = g.svc.Images.List(s.Project).Context(ctx).Pages(ctx, func(l *compute.ImageList) error {
		for _, img := range l.Items {
			if re.MatchString(img.Name) && (s.ImageFamily == "" || img.Family == s.ImageFamily) {
				matches = append(matches, img)
			}
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("gce: list images of %s: %w", s.Project, err)
	}
	if len(matches) == 0 {
		return "", fmt.Errorf("gce: no image in %s matches regex %q and family %q", s.Project, s.ImageRegex, s.ImageFamily)
	}
	// RFC 3339 timestamps in one zone sort as strings.
	sort.Slice(matches, func(i, j int) bool { return matches[i].CreationTimestamp > matches[j].CreationTimestamp })
	return matches[0].Name, nil
}

// InstanceResource returns the instance to insert: name, booting image of
// s.Project, with the run's label, an external IP and s's machine type,
// metadata and accelerators. It is a pure function of its input.
func (c Config) InstanceResource(name, image string, s Spec) *compute.Instance {
	machine := s.Machine
	if machine == "" {
		machine = c.MachineType
	}
	network := c.Network
	if network == "" {
		network = "default"
	}
	inst := &compute.Instance{
		Name:        name,
		Description: "node e2e run " + c.RunID + ": " + s.Description,
		MachineType: fmt.Sprintf("zones/%s/machineTypes/%s", c.Zone, machine),
		Labels:      map[string]string{LabelKey: c.RunID},
		Disks: []*compute.AttachedDisk{{
			Boot:       true,
			AutoDelete: true,
			Type:       "PERSISTENT",
			InitializeParams: &compute.AttachedDiskInitializeParams{
				SourceImage: fmt.Sprintf("projects/%s/global/images/%s", s.Project, image),
				DiskSizeGb:  c.DiskSizeGB,
				DiskType:    fmt.Sprintf("zones/%s/diskTypes/pd-standard", c.Zone),
			},
		}},
		NetworkInterfaces: []*compute.NetworkInterface{{
			Network:       "global/networks/" + network,
			AccessConfigs: []*compute.AccessConfig{{Name: "external-nat", Type: "ONE_TO_ONE_NAT"}},
		}},
		Scheduling: &compute.Scheduling{Preemptible: c.Preemptible},
	}
	if c.Subnet != "" {
		inst.NetworkInterfaces[0].Subnetwork = fmt.Sprintf("regions/%s/subnetworks/%s", region(c.Zone), c.Subnet)
	}
	if len(s.Accelerators) > 0 {
		inst.Scheduling.OnHostMaintenance = "TERMINATE"
		for _, a := range s.Accelerators {
			inst.GuestAccelerators = append(inst.GuestAccelerators, &compute.AcceleratorConfig{
				AcceleratorCount: a.Count,
				AcceleratorType:  fmt.Sprintf("zones/%s/acceleratorTypes/%s", c.Zone, a.Type),
			})
		}
	}
	if len(s.Metadata) > 0 {
		keys := make([]string, 0, len(s.Metadata))
		for k := range s.Metadata {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		md := &compute.Metadata{}
		for _, k := range keys {
			v := s.Metadata[k]
			md.Items = append(md.Items, &compute.MetadataItems{Key: k, Value: &v})
		}
		inst.Metadata = md
	}
	return inst
}

// region returns a zone's region: us-central1-a → us-central1.
func region(zone string) string {
	for i := len(zone) - 1; i >= 0; i-- {
		if zone[i] == '-' {
			return zone[:i]
		}
	}
	return zone
}

// wait waits for a zone operation to finish and returns its error.
func (g *Compute) wait(ctx context.Context, op *compute.Operation) error {
	for op.Status != "DONE" {
		var err error
		op, err = g.svc.ZoneOperations.Wait(g.cfg.Project, g.cfg.Zone, op.Name).Context(ctx).Do()
		if err != nil {
			return fmt.Errorf("operation: %w", err)
		}
	}
	if op.Error != nil && len(op.Error.Errors) > 0 {
		var errs []error
		for _, e := range op.Error.Errors {
			errs = append(errs, fmt.Errorf("%s: %s", e.Code, e.Message))
		}
		return fmt.Errorf("operation %s: %w", op.Name, errors.Join(errs...))
	}
	return nil
}

// AwaitRunning polls the instance until it is RUNNING with an external IP,
// and returns that IP. ctx bounds the wait.
func (g *Compute) AwaitRunning(ctx context.Context, name string) (string, error) {
	interval := g.cfg.PollInterval
	if interval <= 0 {
		interval = 5 * time.Second
	}
	var ip string
	err := proc.Await(ctx, interval, func() (bool, error) {
		status, addr, err := g.status(ctx, name)
		switch {
		case IsNotFound(err):
			return false, err
		case err != nil:
			return false, proc.NotYet(err)
		case status != "RUNNING" || addr == "":
			return false, proc.NotYet(fmt.Errorf("status %s, external IP %q", status, addr))
		}
		ip = addr
		return true, nil
	})
	switch {
	case IsNotFound(err):
		return "", fmt.Errorf("gce: instance %s: %w", name, err)
	case err != nil:
		return "", fmt.Errorf("gce: instance %s not running with an external IP: %w", name, err)
	}
	return ip, nil
}

func (g *Compute) status(ctx context.Context, name string) (status, ip string, err error) {
	ctx, cancel := context.WithTimeout(ctx, g.cfg.Timeout)
	defer cancel()
	inst, err := g.svc.Instances.Get(g.cfg.Project, g.cfg.Zone, name).Context(ctx).Do()
	if err != nil {
		return "", "", err
	}
	for _, ni := range inst.NetworkInterfaces {
		for _, ac := range ni.AccessConfigs {
			if ac.NatIP != "" {
				return inst.Status, ac.NatIP, nil
			}
		}
	}
	return inst.Status, "", nil
}

// SerialOutput returns the instance's serial port 1 output.
func (g *Compute) SerialOutput(ctx context.Context, name string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, g.cfg.Timeout)
	defer cancel()
	out, err := g.svc.Instances.GetSerialPortOutput(g.cfg.Project, g.cfg.Zone, name).Port(1).Context(ctx).Do()
	if err != nil {
		return "", fmt.Errorf("gce: serial output of %s: %w", name, err)
	}
	return out.Contents, nil
}

// ListRun returns the names of the instances labelled with runID.
func (g *Compute) ListRun(ctx context.Context, runID string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, g.cfg.Timeout)
	defer cancel()
	var names []string
	err := g.svc.Instances.List(g.cfg.Project, g.cfg.Zone).Filter(fmt.Sprintf("labels.%s=%s", LabelKey, runID)).Context(ctx).Pages(ctx, func(l *compute.InstanceList) error {
		for _, inst := range l.Items {
			names = append(names, inst.Name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("gce: list instances of run %s: %w", runID, err)
	}
	return names, nil
}
