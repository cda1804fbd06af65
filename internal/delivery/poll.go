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
			datasetID, folder, ok := ParseSuccessKey(aws.ToString(o.Key))
			if !ok || r.isPending(FileSet{Bucket: src.Bucket, DatasetID: datasetID, Folder: folder}) {
				continue
			}
			r.Trigger(ctx, src, datasetID, folder, "poll")
		}
	}
}

func (r *Runner) isPending(fs FileSet) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pending[fs.Key()]
}
