// Package credfile reads and writes AWS shared-credentials files, the
// format the AWS CLI and SDKs read through AWS_SHARED_CREDENTIALS_FILE. The
// cloud writes the platform's root key in it; the console and the tests
// read it back.
package credfile

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// Write writes a [default] profile with the key (and region) to path,
// 0600, replacing the file atomically.
func Write(path, id, secret, region string) error {
	body := fmt.Sprintf("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n", id, secret)
	if region != "" {
		body += "region = " + region + "\n"
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(body), 0o600); err != nil {
		return fmt.Errorf("write credentials: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write credentials: %w", err)
	}
	return nil
}

// Read returns the access key of a profile ("default" when empty).
func Read(path, profile string) (id, secret string, err error) {
	if profile == "" {
		profile = "default"
	}
	f, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if strings.HasPrefix(line, "[") {
			// A config file names profiles "[profile NAME]".
			section = strings.TrimPrefix(strings.TrimSpace(strings.Trim(line, "[]")), "profile ")
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section != profile {
			continue
		}
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			id = strings.TrimSpace(v)
		case "aws_secret_access_key":
			secret = strings.TrimSpace(v)
		}
	}
	if err := sc.Err(); err != nil {
		return "", "", fmt.Errorf("read %s: %w", path, err)
	}
	if id == "" || secret == "" {
		return "", "", fmt.Errorf("%s has no access key in profile [%s]", path, profile)
	}
	return id, secret, nil
}
