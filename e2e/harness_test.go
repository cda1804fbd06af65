//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"inlet/internal/credfile"
)

// serverBinary is the inlet binary under test, built once by TestMain.
var serverBinary string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if bin := os.Getenv("INLET_E2E_BINARY"); bin != "" {
		serverBinary = bin
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "inlet-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: make temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)

	serverBinary = filepath.Join(dir, "inlet")
	cmd := exec.Command("go", "build", "-o", serverBinary, "./cmd/inlet")
	cmd.Dir = repoRoot()
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	fmt.Fprintln(os.Stderr, "e2e: go build -o", serverBinary, "./cmd/inlet")
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build inlet:", err)
		return 1
	}
	return m.Run()
}

// repoRoot is the module root: the parent of this package's directory.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// server is one running inlet process and what a client needs to reach it.
type server struct {
	t       *testing.T
	dataDir string
	logPath string

	httpURL    string // http://127.0.0.1:PORT
	httpsURL   string // https://127.0.0.1:PORT
	consoleURL string
	caPath     string

	accessKey string
	secretKey string

	cmd  *exec.Cmd
	done chan struct{}
}

// startServer starts inlet on a new data directory and stops it when the
// test ends.
func startServer(t *testing.T) *server {
	t.Helper()
	s := &server{t: t, dataDir: filepath.Join(t.TempDir(), "data")}
	s.start()
	t.Cleanup(s.stop)
	return s
}

// start launches the process on free loopback ports and waits until it is
// ready: /healthz answers 200, the credentials and CA files exist and both
// cloud listeners accept connections. A port taken by someone else between
// picking and binding it gets a second and third try on new ports.
func (s *server) start() {
	t := s.t
	t.Helper()
	for attempt := 1; ; attempt++ {
		err := s.launch()
		if err == nil {
			break
		}
		s.kill()
		if attempt < 3 && strings.Contains(s.logTail(10), "address already in use") {
			t.Logf("server could not bind its ports; retrying: %v", err)
			continue
		}
		t.Fatalf("server not ready: %v\n%s", err, s.logTail(40))
	}
	s.readCredentials()
}

// launch starts one server process and waits for it to be ready.
func (s *server) launch() error {
	t := s.t
	t.Helper()
	cloud, console, tlsAddr := freeAddr(t), freeAddr(t), freeAddr(t)
	s.httpURL = "http://" + cloud
	s.httpsURL = "https://" + tlsAddr
	s.consoleURL = "http://" + console
	s.caPath = filepath.Join(s.dataDir, "tls", "ca.pem")

	logFile, err := os.CreateTemp(filepath.Dir(s.dataDir), "server-*.log")
	if err != nil {
		t.Fatalf("create server log: %v", err)
	}
	defer logFile.Close()
	s.logPath = logFile.Name()
	// Stdout may carry human-readable notes; the JSON log is stderr.
	outFile, err := os.Create(strings.TrimSuffix(s.logPath, ".log") + ".out")
	if err != nil {
		t.Fatalf("create server stdout: %v", err)
	}
	defer outFile.Close()

	args := []string{"serve", "--data", s.dataDir,
		"--cloud-addr", cloud, "--console-addr", console,
		"--cloud-tls-addr", tlsAddr, "--region", "us-east-1"}
	t.Logf("server: %s %s", serverBinary, strings.Join(args, " "))
	cmd := exec.Command(serverBinary, args...)
	cmd.Env = serverEnv()
	cmd.Stdout = outFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start server: %v", err)
	}
	s.cmd = cmd
	s.done = make(chan struct{})
	go func() {
		cmd.Wait()
		close(s.done)
	}()
	return s.waitReady(30 * time.Second)
}

func (s *server) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	client := &http.Client{Timeout: 2 * time.Second}
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("server exited early: %v", s.cmd.ProcessState)
		default:
		}
		last = s.probe(client)
		if last == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("after %v: %w", limit, last)
}

func (s *server) probe(client *http.Client) error {
	resp, err := client.Get(s.consoleURL + "/healthz")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz: %s", resp.Status)
	}
	for _, f := range []string{filepath.Join(s.dataDir, "credentials"), s.caPath} {
		if _, err := os.Stat(f); err != nil {
			return err
		}
	}
	c, err := net.DialTimeout("tcp", s.hostPort("http"), time.Second)
	if err != nil {
		return err
	}
	c.Close()
	// A full handshake, so that the server logs no aborted one.
	pem, err := os.ReadFile(s.caPath)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	dialer := &net.Dialer{Timeout: time.Second}
	tc, err := tls.DialWithDialer(dialer, "tcp", s.hostPort("https"), &tls.Config{RootCAs: pool})
	if err != nil {
		return err
	}
	return tc.Close()
}

// readCredentials takes the [default] keys from DIR/credentials.
func (s *server) readCredentials() {
	t := s.t
	t.Helper()
	path := filepath.Join(s.dataDir, "credentials")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("credentials: %v", err)
	}
	if mode := fi.Mode().Perm(); mode&0o077 != 0 {
		t.Errorf("credentials file mode = %v; want no group/other bits", mode)
	}
	s.accessKey, s.secretKey, err = credfile.Read(path, "")
	if err != nil {
		t.Fatalf("credentials: %v", err)
	}
}

// stop ends the server with SIGTERM and waits for it; it is the cleanup of
// startServer and safe to call twice.
func (s *server) stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		if code := s.cmd.ProcessState.ExitCode(); code != 0 {
			s.t.Errorf("server exit after SIGTERM: %v; want status 0", s.cmd.ProcessState)
		}
		s.checkLog()
		if s.t.Failed() {
			s.t.Logf("server log tail:\n%s", s.logTail(30))
		}
	case <-time.After(15 * time.Second):
		s.t.Errorf("server did not stop within 15s of SIGTERM")
		s.kill()
	}
	s.cmd = nil
}

// checkLog holds the server log to its contract: JSON lines, and never the
// secret key.
func (s *server) checkLog() {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		s.t.Errorf("read server log: %v", err)
		return
	}
	if s.secretKey != "" && bytes.Contains(b, []byte(s.secretKey)) {
		s.t.Errorf("server log contains the secret access key")
	}
	for i, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var v map[string]any
		if err := json.Unmarshal(line, &v); err != nil {
			s.t.Errorf("server log line %d is not a JSON object: %.200q", i+1, line)
			return
		}
	}
}

// kill ends the server (and anything it started) with SIGKILL at once.
func (s *server) kill() {
	if s.cmd == nil {
		return
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
	s.cmd = nil
}

// restart starts a new process on the same data directory.
func (s *server) restart() {
	s.t.Helper()
	s.start()
}

func (s *server) logTail(n int) string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return "(no server log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// endpoint is the cloud URL for the scheme ("http" or "https").
func (s *server) endpoint(scheme string) string {
	if scheme == "https" {
		return s.httpsURL
	}
	return s.httpURL
}

// hostPort is the endpoint without its scheme.
func (s *server) hostPort(scheme string) string {
	return strings.SplitN(s.endpoint(scheme), "//", 2)[1]
}

// tlsConfig trusts the server's generated CA.
func (s *server) tlsConfig() *tls.Config {
	s.t.Helper()
	pem, err := os.ReadFile(s.caPath)
	if err != nil {
		s.t.Fatalf("read CA: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		s.t.Fatalf("no certificate in %s", s.caPath)
	}
	return &tls.Config{RootCAs: pool}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// serverEnv is the environment without INLET_* and AWS_* settings, so that
// the flags alone configure the server.
func serverEnv() []string {
	return filterEnv(os.Environ(), "INLET_", "AWS_")
}

func filterEnv(env []string, prefixes ...string) []string {
	var out []string
next:
	for _, kv := range env {
		for _, p := range prefixes {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}

// clientEnv is the environment for a client process: the server's
// credentials file, a config with the region, no instance metadata, no
// inherited AWS_* settings, and for HTTPS the server's CA as AWS_CA_BUNDLE.
func (s *server) clientEnv(t *testing.T, scheme string) []string {
	t.Helper()
	cfg := writeConfig(t, "[default]\nregion = us-east-1\n")
	env := filterEnv(os.Environ(), "AWS_", "NODE_EXTRA_CA_CERTS=", "SSL_CERT_", "REQUESTS_CA_BUNDLE=")
	env = append(env,
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(s.dataDir, "credentials"),
		"AWS_CONFIG_FILE="+cfg,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
	)
	if scheme == "https" {
		env = append(env, "AWS_CA_BUNDLE="+s.caPath)
	}
	return env
}

// writeConfig writes an AWS config file and returns its path.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "aws-config")
	writeFile(t, path, []byte(text))
	return path
}

// runCmd runs a client, logs what ran, and fails the test with the client's
// stderr when it exits non-zero. It returns stdout.
func runCmd(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	out, errOut, err := tryCmd(t, env, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\nstderr:\n%s\nstdout:\n%s",
			name, redactSignature(strings.Join(args, " ")), err, tail(errOut, 60), tail(out, 20))
	}
	return out
}

// tryCmd runs a client and returns stdout, stderr and the exit error.
func tryCmd(t *testing.T, env []string, name string, args ...string) (string, string, error) {
	t.Helper()
	t.Logf("run: %s %s", name, redactSignature(strings.Join(args, " ")))
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		err = errors.Join(err, ctx.Err())
	}
	return stdout.String(), stderr.String(), err
}

var signatureParam = regexp.MustCompile(`(Signature=)[^&\s]+`)

// redactSignature hides the signature of a presigned URL in a logged
// command line.
func redactSignature(s string) string {
	return signatureParam.ReplaceAllString(s, "${1}REDACTED")
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// makeFile writes size pseudo-random bytes derived from name and returns
// the path and the SHA-256 hex of the content.
func makeFile(t *testing.T, dir, name string, size int) (string, string) {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	b := content(name, size)
	writeFile(t, path, b)
	return path, sha256Hex(b)
}

// content is size deterministic bytes for name.
func content(name string, size int) []byte {
	seed := sha256.Sum256([]byte(name))
	r := rand.NewChaCha8(seed)
	b := make([]byte, size)
	r.Read(b)
	return b
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func fileSHA(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open downloaded file: %v", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// fileMD5 is the MD5 hex of a local file.
func fileMD5(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

// sameFile fails the test when the file at path does not hash to want.
func sameFile(t *testing.T, path, want string) {
	t.Helper()
	if got := fileSHA(t, path); got != want {
		t.Fatalf("sha256(%s) = %s; want %s", filepath.Base(path), got, want)
	}
}

// schemes are the listeners every client test runs against.
var schemes = []string{"http", "https"}

// bucketName makes a valid, unique-enough bucket name from parts.
func bucketName(parts ...string) string {
	n := strings.ToLower(strings.Join(parts, "-"))
	n = strings.NewReplacer("_", "-", "/", "-", ".", "-", " ", "-").Replace(n)
	if len(n) > 63 {
		n = n[:63]
	}
	return strings.Trim(n, "-")
}

// need skips the test when a client program is missing, or fails it under
// CI, where install-deps.sh must have installed it.
func need(t *testing.T, path string) {
	t.Helper()
	if _, err := exec.LookPath(path); err != nil {
		missing(t, path, err)
	}
}

// missing skips the test for a missing client, or fails it under CI.
func missing(t *testing.T, what string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("client %s missing in CI: %v", what, err)
	}
	t.Skipf("client %s missing (run scripts/install-deps.sh): %v", what, err)
}
