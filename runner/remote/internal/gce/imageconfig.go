package gce

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// ImageConfig is the image config file of upstream's node e2e runner
// (--image-config-file), e.g.:
//
//	images:
//	  cos-stable:
//	    image_family: cos-stable
//	    project: cos-cloud
//	    machine: e2-standard-2
//	    metadata: "user-data<init.yaml,enable-oslogin=false"
//	    resources:
//	      accelerators:
//	        - type: nvidia-tesla-t4
//	          count: 1
type ImageConfig struct {
	Images map[string]Image `json:"images"`
}

// Image is one entry of ImageConfig. Field names follow upstream.
type Image struct {
	// Image is the image name; when empty, ImageRegex and/or ImageFamily
	// pick the newest matching image of Project.
	Image string `json:"image,omitempty"`
	// ImageRegex matches image names.
	ImageRegex string `json:"image_regex,omitempty"`
	// ImageFamily is an image family, e.g. debian-12.
	ImageFamily string `json:"image_family,omitempty"`
	// ImageDescription describes the image in progress lines.
	ImageDescription string `json:"image_description,omitempty"`
	// KernelArguments are not supported by this runner (upstream edits
	// the boot loader over ssh and reboots); a warning is printed.
	KernelArguments []string `json:"kernel_arguments,omitempty"`
	// Project is the image's project. Required.
	Project string `json:"project"`
	// Metadata is instance metadata: comma-separated key=value, or
	// key<path to take the value from a file.
	Metadata string `json:"metadata"`
	// Machine is the machine type; default --instance-type.
	Machine string `json:"machine,omitempty"`
	// Resources asks for accelerators.
	Resources Resources `json:"resources,omitempty"`
}

// Resources holds the accelerators an image asks for.
type Resources struct {
	Accelerators []Accelerator `json:"accelerators,omitempty"`
}

// Accelerator is a type and count of guest accelerators.
type Accelerator struct {
	Type  string `json:"type,omitempty"`
	Count int64  `json:"count,omitempty"`
}

// Spec is one instance to create.
type Spec struct {
	// ShortName is the image's key in the config (or the image name for
	// --images); it names the instance.
	ShortName string
	// Image, ImageRegex, ImageFamily and Project say which image to boot.
	Image, ImageRegex, ImageFamily, Project string
	// Description is shown in progress lines.
	Description string
	// Machine is the machine type, empty for the default.
	Machine string
	// Metadata is the instance metadata.
	Metadata map[string]string
	// Accelerators are guest accelerators.
	Accelerators []Accelerator
	// KernelArguments are ignored (see Image).
	KernelArguments []string
}

// ParseImageConfig parses an image config file's content.
func ParseImageConfig(data []byte) (ImageConfig, error) {
	var c ImageConfig
	if err := yaml.Unmarshal(data, &c); err != nil {
		return ImageConfig{}, err
	}
	if len(c.Images) == 0 {
		return ImageConfig{}, errors.New("no images")
	}
	return c, nil
}

// SpecOptions are the flags that feed Specs.
type SpecOptions struct {
	// Dir resolves relative metadata file paths (key<path); default the
	// working directory (upstream's --image-config-dir).
	Dir string
	// ExtraMetadata is added to every image's metadata
	// (--instance-metadata), same syntax as Image.Metadata.
	ExtraMetadata string
}

// Specs turns the config into instance specs, sorted by short name.
func (c ImageConfig) Specs(o SpecOptions) ([]Spec, error) {
	names := make([]string, 0, len(c.Images))
	for n := range c.Images {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []Spec
	var errs []error
	for _, n := range names {
		img := c.Images[n]
		if img.Project == "" {
			errs = append(errs, fmt.Errorf("image %q: no project", n))
			continue
		}
		if img.Image == "" && img.ImageFamily == "" && img.ImageRegex == "" {
			errs = append(errs, fmt.Errorf("image %q: none of image, image_family, image_regex", n))
			continue
		}
		md, err := ParseMetadata(joinMetadata(img.Metadata, o.ExtraMetadata), o.Dir)
		if err != nil {
			errs = append(errs, fmt.Errorf("image %q: metadata: %w", n, err))
			continue
		}
		for _, a := range img.Resources.Accelerators {
			if a.Type == "" || a.Count < 1 {
				errs = append(errs, fmt.Errorf("image %q: accelerator %+v: want a type and a count of 1 or more", n, a))
			}
		}
		desc := cmp.Or(img.ImageDescription, img.Image, img.ImageFamily, img.ImageRegex)
		out = append(out, Spec{
			ShortName: n, Image: img.Image, ImageRegex: img.ImageRegex, ImageFamily: img.ImageFamily,
			Project: img.Project, Description: desc, Machine: img.Machine, Metadata: md,
			Accelerators: img.Resources.Accelerators, KernelArguments: img.KernelArguments,
		})
	}
	return out, errors.Join(errs...)
}

// ImageSpecs returns specs for --images (image names in project).
func ImageSpecs(images []string, project string, o SpecOptions) ([]Spec, error) {
	md, err := ParseMetadata(o.ExtraMetadata, o.Dir)
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	var out []Spec
	for _, img := range images {
		out = append(out, Spec{ShortName: img, Image: img, Project: project, Description: img, Metadata: md})
	}
	return out, nil
}

// ParseMetadata parses comma-separated key=value and key<path items; a
// path is read relative to dir (when relative and dir is set).
func ParseMetadata(s, dir string) (map[string]string, error) {
	md := map[string]string{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		i := strings.IndexAny(item, "=<")
		if i <= 0 {
			return nil, fmt.Errorf("item %q: want key=value or key<file", item)
		}
		key, val := item[:i], item[i+1:]
		if item[i] == '<' {
			path := val
			if dir != "" && !filepath.IsAbs(path) {
				path = filepath.Join(dir, path)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("item %q: %w", item, err)
			}
			val = string(b)
		}
		md[key] = val
	}
	return md, nil
}

func joinMetadata(a, b string) string {
	if strings.TrimSpace(b) == "" {
		return a
	}
	if strings.TrimSpace(a) == "" {
		return b
	}
	return a + "," + b
}
