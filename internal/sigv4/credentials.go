package sigv4

import "context"

// StaticCredentials is a fixed map from access key id to secret, for tests
// and embedded setups.
type StaticCredentials map[string]string

// SecretKey returns the secret of accessKeyID, or [ErrUnknownKey].
func (c StaticCredentials) SecretKey(_ context.Context, accessKeyID string) (string, error) {
	if s, ok := c[accessKeyID]; ok {
		return s, nil
	}
	return "", ErrUnknownKey
}
