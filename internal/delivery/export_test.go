package delivery

import "context"

// PollOnce is one pass of [Runner.Poll], for tests.
func (r *Runner) PollOnce(ctx context.Context, tenants func(context.Context) ([]int64, error)) {
	r.pollOnce(ctx, tenants)
}
