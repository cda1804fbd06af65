package delivery

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"inlet/internal/catalog"
)

// Poll watches buckets where no events arrive (a real AWS account): every
// interval it lists the ingestion prefix of each active source's bucket
// and triggers the folders holding a _SUCCESS marker. Folders already
// ingested or in progress are skipped by Trigger. It returns when ctx
// ends.
func (r *Runner) Poll(ctx context.Context, interval time.Duration, tenants func(context.Context) ([]int64, error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		r.pollOnce(ctx, tenants)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (r *Runner) pollOnce(ctx context.Context, tenants func(context.Context) ([]int64, error)) {
	ids, err := tenants(ctx)
	if err != nil {
		r.log.Warn("poll: list tenants", "error", err)
		return
	}
	for _, tid := range ids {
		srcs, err := r.cfg.Catalog.ListSources(ctx, tid)
		if err != nil {
			r.log.Warn("poll: list sources", "tenant_id", tid, "error", err)
			continue
		}
		for _, src := range srcs {
			if src.Status == catalog.StatusActive {
				r.pollBucket(ctx, src)
			}
		}
	}
}

func (r *Runner) pollBucket(ctx context.Context, src catalog.Source) {
	type folder struct {
		datasetID int64
		name      string
		marked    bool // holds a _SUCCESS marker
		files     []object
	}
	folders := map[FileSet]*folder{}
	var order []FileSet
	p := s3.NewListObjectsV2Paginator(r.cfg.S3, &s3.ListObjectsV2Input{
		Bucket: aws.String(src.Bucket), Prefix: aws.String(DeliveryPrefix),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			r.log.Warn("poll: list bucket", "bucket", src.Bucket, "error", err)
			return
		}
		for _, o := range page.Contents {
			datasetID, name, file, ok := ParseFileKey(aws.ToString(o.Key))
			if !ok {
				continue
			}
			fs := FileSet{Bucket: src.Bucket, DatasetID: datasetID, Folder: name}
			f := folders[fs]
			if f == nil {
				f = &folder{datasetID: datasetID, name: name}
				folders[fs] = f
				order = append(order, fs)
			}
			if file == SuccessFile {
				f.marked = true
			} else if obj, ok := fileOf(fs.Prefix(), o); ok {
				f.files = append(f.files, obj)
			}
		}
	}
	// One listing gives every folder's content: a folder ingested before
	// is compared with it, not listed again.
	for _, fs := range order {
		f := folders[fs]
		if !f.marked || r.isPending(fs) {
			continue
		}
		files := f.files
		if files == nil {
			files = []object{}
		}
		r.trigger(ctx, src, f.datasetID, f.name, "poll", files)
	}
}

func (r *Runner) isPending(fs FileSet) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pending[fs.Key()]
}
