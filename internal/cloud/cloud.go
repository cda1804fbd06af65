// Package cloud assembles the embedded AWS-compatible cloud: the metadata
// database, identities, the object store and the S3 front, all kept in one
// data directory.
package cloud

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"

	"inlet/internal/authz"
	"inlet/internal/bucketconf"
	"inlet/internal/cloud/awsquery"
	"inlet/internal/cloud/iamapi"
	"inlet/internal/cloud/s3api"
	"inlet/internal/cloud/stsapi"
	"inlet/internal/credfile"
	"inlet/internal/identity"
	"inlet/internal/meta"
	"inlet/internal/objstore"
	"inlet/internal/sigv4"
)

// Options configures the cloud.
type Options struct {
	// DataDir holds everything: meta.db, objects/, master.key, credentials.
	DataDir string
	// Region of the endpoint (default us-east-1).
	Region string
	// Domain enables virtual-host-style addressing (BUCKET.Domain).
	Domain string
	// MasterKey, when set, is the base64 master key (INLET_MASTER_KEY);
	// otherwise DataDir/master.key is used, created on first start.
	MasterKey string
	Logger    *slog.Logger
	// DB, when set, is the metadata database to use (shared with the
	// console); otherwise DataDir/meta.db is opened and owned by the cloud.
	DB *meta.DB
	// ObjectCreated is the event hand-off to the console: it is told of
	// every durable write (bucket, key). It must not block.
	ObjectCreated func(bucket, key string)
}

// Cloud is a running embedded cloud.
type Cloud struct {
	db       *meta.DB
	ownDB    bool
	store    *objstore.Store
	ids      *identity.Store
	buckets  *bucketconf.Store
	s3       *s3api.Server
	sts      *stsapi.Server
	iam      *iamapi.Server
	platform identity.Account
	credPath string
}

// Open opens (creating on first start) the cloud in opts.DataDir. On first
// start it creates the platform account and writes its root access key to
// DataDir/credentials (0600, AWS shared-credentials format).
func Open(ctx context.Context, opts Options) (*Cloud, error) {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	key, err := identity.LoadMasterKey(filepath.Join(opts.DataDir, "master.key"), opts.MasterKey)
	if err != nil {
		return nil, err
	}
	c := &Cloud{db: opts.DB, credPath: filepath.Join(opts.DataDir, "credentials")}
	if c.db == nil {
		c.db, err = meta.Open(ctx, filepath.Join(opts.DataDir, "meta.db"), opts.Logger)
		if err != nil {
			return nil, err
		}
		c.ownDB = true
	}
	if err := c.open(ctx, opts, key); err != nil {
		if c.ownDB {
			c.db.Close()
		}
		return nil, err
	}
	return c, nil
}

func (c *Cloud) open(ctx context.Context, opts Options, key []byte) error {
	var err error
	c.ids, err = identity.Open(ctx, c.db, key, opts.Logger)
	if err != nil {
		return err
	}
	c.store, err = objstore.Open(ctx, filepath.Join(opts.DataDir, "objects"), c.db, opts.Logger)
	if err != nil {
		return fmt.Errorf("open object store: %w", err)
	}
	c.buckets, err = bucketconf.Open(ctx, c.db)
	if err != nil {
		return err
	}
	acct, k, err := c.ids.PlatformAccount(ctx)
	if err != nil {
		return err
	}
	c.platform = acct
	if k != nil {
		if err := credfile.Write(c.credPath, k.ID, k.Secret.Reveal(), opts.Region); err != nil {
			return err
		}
	} else if _, err := os.Stat(c.credPath); errors.Is(err, os.ErrNotExist) {
		opts.Logger.Warn("platform credentials file is missing; the root key is not shown again", "path", c.credPath)
	}

	// S3 is regional: a request signed for another region is refused with
	// AuthorizationHeaderMalformed naming this one, which SDKs use to
	// redirect themselves. IAM is global (signed for us-east-1 whatever the
	// endpoint's region) and the AWS CLI signs STS for us-east-1 from role
	// profiles, so their verifier takes any region.
	s3Verifier := &sigv4.Verifier{Credentials: c.ids, Region: opts.Region}
	verifier := &sigv4.Verifier{Credentials: c.ids}
	az := authz.New(c.ids)
	front := awsquery.Front{Verifier: verifier, Auth: c.ids, Log: opts.Logger}
	c.sts = stsapi.New(front, c.ids, az)
	c.iam = iamapi.New(front, c.ids, az)
	c.s3 = s3api.New(s3api.Config{
		Store:         c.store,
		Verifier:      s3Verifier,
		Principals:    c.ids,
		Authorizer:    az,
		Buckets:       c.buckets,
		ObjectCreated: opts.ObjectCreated,
		Region:        opts.Region,
		Domain:        opts.Domain,
		Logger:        opts.Logger,
	})
	return nil
}

// Handler serves the cloud's APIs on one port: form posts signed for STS
// or IAM go to those fronts, everything else to S3.
func (c *Cloud) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case awsquery.Signed(r, "sts"):
			c.sts.ServeHTTP(w, r)
		case awsquery.Signed(r, "iam"):
			c.iam.ServeHTTP(w, r)
		default:
			c.s3.ServeHTTP(w, r)
		}
	})
}

// PlatformAccount is the account that owns managed buckets.
func (c *Cloud) PlatformAccount() identity.Account { return c.platform }

// Identities gives access to accounts and keys.
func (c *Cloud) Identities() *identity.Store { return c.ids }

// CredentialsPath is where the platform's root key was written.
func (c *Cloud) CredentialsPath() string { return c.credPath }

// Close closes the store and the database.
func (c *Cloud) Close() error {
	err := c.store.Close()
	if c.ownDB {
		err = errors.Join(err, c.db.Close())
	}
	return err
}

// CreateAccount creates a partner account in the cloud kept in
// opts.DataDir and returns it with its root access key. It opens only the
// metadata database, so it is safe while `inlet serve` runs on the same
// directory.
func CreateAccount(ctx context.Context, opts Options, name, id string) (identity.Account, identity.AccessKey, error) {
	key, err := identity.LoadMasterKey(filepath.Join(opts.DataDir, "master.key"), opts.MasterKey)
	if err != nil {
		return identity.Account{}, identity.AccessKey{}, err
	}
	db, err := meta.Open(ctx, filepath.Join(opts.DataDir, "meta.db"), opts.Logger)
	if err != nil {
		return identity.Account{}, identity.AccessKey{}, err
	}
	defer db.Close()
	ids, err := identity.Open(ctx, db, key, discardIfNil(opts.Logger))
	if err != nil {
		return identity.Account{}, identity.AccessKey{}, err
	}
	if _, _, err := ids.PlatformAccount(ctx); err != nil {
		return identity.Account{}, identity.AccessKey{}, err
	}
	return ids.CreateAccount(ctx, name, id)
}

func discardIfNil(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

// Denials returns the newest requests denied against a bucket, read from
// the metadata database in opts.DataDir (safe while `inlet serve` runs).
func Denials(ctx context.Context, opts Options, bucket string, limit int) ([]bucketconf.Denial, error) {
	db, err := meta.Open(ctx, filepath.Join(opts.DataDir, "meta.db"), discardIfNil(opts.Logger))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	bc, err := bucketconf.Open(ctx, db)
	if err != nil {
		return nil, err
	}
	return bc.Denials(ctx, bucket, limit)
}

// Denials returns the newest requests denied against a bucket.
func (c *Cloud) Denials(ctx context.Context, bucket string, limit int) ([]bucketconf.Denial, error) {
	return c.buckets.Denials(ctx, bucket, limit)
}
