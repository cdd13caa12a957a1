package gce

import (
	"regexp"
	"strings"
)

// LabelKey is the label every instance of a run carries, with the run id
// as its value.
const LabelKey = "node-e2e-run-id"

// maxNameLen is Compute Engine's limit on resource names.
const maxNameLen = 63

var (
	notNameChars = regexp.MustCompile(`[^a-z0-9-]+`)
	validLabel   = regexp.MustCompile(`^[a-z0-9_-]{1,63}$`)
	validPrefix  = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
)

// ValidRunID reports whether id can be a label value (and so a run id):
// 1 to 63 lowercase letters, digits, '_' and '-'.
func ValidRunID(id string) bool { return validLabel.MatchString(id) }

// ValidNamePrefix reports whether p can start an instance name: a
// lowercase letter, then lowercase letters, digits and '-', not ending
// with '-', at most 40 characters (to leave room for the image).
func ValidNamePrefix(p string) bool { return len(p) <= 40 && validPrefix.MatchString(p) }

// InstanceName returns the instance name for an image: prefix-shortName,
// lowercased, with runs of other characters turned into '-', cut to 63
// characters and never ending with '-'.
func InstanceName(prefix, shortName string) string {
	s := notNameChars.ReplaceAllString(strings.ToLower(shortName), "-")
	name := strings.Trim(prefix+"-"+strings.Trim(s, "-"), "-")
	if len(name) > maxNameLen {
		name = name[:maxNameLen]
	}
	return strings.TrimRight(name, "-")
}
