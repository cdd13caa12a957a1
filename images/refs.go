package images

// Image references. They live under a registry name that does not resolve, so
// a pull can never succeed by accident: the images must have been imported.
// They carry explicit tags, never :latest, so the kubelet's default pull
// policy (IfNotPresent) uses the imported image.
const (
	// PauseImage is the pod sandbox image; pass it to the kubelet as
	// --pod-infra-container-image and to containerd as sandbox_image.
	PauseImage = "node-e2e.local/pause:1.0"
	// BusyboxImage is the general-purpose test image: busybox with a
	// symlink in /bin for each applet.
	BusyboxImage = "node-e2e.local/busybox:1.0"
)
