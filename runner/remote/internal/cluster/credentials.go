package cluster

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The registry credentials' Secret in the run namespace, and where the
// suite container finds them: a subPath mount makes the file a regular
// file (a Secret volume's entries are symbolic links, which
// --image-registry-credentials-file refuses), mode 0600, root's.
const (
	registrySecretName = "node-e2e-registry"
	registrySecretKey  = "credentials"
	registryCredsPath  = "/etc/node-e2e-registry/credentials"
	// apiServerEnv overrides the entrypoint's API server URL.
	apiServerEnv = "NODE_E2E_API_SERVER"
)

// RegistrySecret is the Secret holding r.RegistryCredentials, nil without
// credentials.
func (r Run) RegistrySecret() *corev1.Secret {
	r = r.Defaulted()
	if r.RegistryCredentials == "" {
		return nil
	}
	return &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: registrySecretName, Namespace: r.Namespace, Labels: runLabels(r.ID)},
		Type:       corev1.SecretTypeOpaque,
		StringData: map[string]string{registrySecretKey: r.RegistryCredentials + "\n"},
	}
}

// registryArgs are the suite's credential flag, when r has credentials.
func (r Run) registryArgs() []string {
	if r.RegistryCredentials == "" {
		return nil
	}
	return []string{"--image-registry-credentials-file=" + registryCredsPath}
}

// addRunnerOptions adds what the runner's options ask of spec's suite
// container: the API server's URL (APIServer) and the registry
// credentials' Secret.
func (r Run) addRunnerOptions(spec *corev1.PodSpec) {
	if r.APIServer != "" {
		c := &spec.Containers[0]
		c.Env = append(c.Env, corev1.EnvVar{Name: apiServerEnv, Value: r.APIServer})
	}
	if r.RegistryCredentials == "" {
		return
	}
	mode := int32(0o600)
	spec.Volumes = append(spec.Volumes, corev1.Volume{Name: "registry", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
		SecretName: registrySecretName, DefaultMode: &mode,
	}}})
	c := &spec.Containers[0]
	c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "registry", MountPath: registryCredsPath, SubPath: registrySecretKey, ReadOnly: true})
}
