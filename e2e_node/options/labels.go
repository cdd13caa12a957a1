package options

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// LabelsFlag is a flag.Value holding Kubernetes labels given as
// KEY=VALUE,KEY=VALUE; repeating the flag adds to the set.
type LabelsFlag map[string]string

// String prints the labels sorted by key, as they would be given.
func (l LabelsFlag) String() string {
	keys := slices.Sorted(maps.Keys(l))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + l[k]
	}
	return strings.Join(parts, ",")
}

// Set parses KEY=VALUE,... and checks each key and value as the API
// server would, so a bad label fails at the flag, not at the first spec.
func (l *LabelsFlag) Set(v string) error {
	if *l == nil {
		*l = LabelsFlag{}
	}
	for _, kv := range strings.Split(v, ",") {
		if kv == "" {
			continue
		}
		k, val, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("%q: want KEY=VALUE", kv)
		}
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return fmt.Errorf("label key %q: %s", k, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(val); len(errs) > 0 {
			return fmt.Errorf("label %s value %q: %s", k, val, strings.Join(errs, "; "))
		}
		(*l)[k] = val
	}
	return nil
}
