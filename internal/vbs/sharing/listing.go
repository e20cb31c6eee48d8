package sharing

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// MaxCount is the largest count a listing plans its pages by. It is 10,000
// pages of the default size, hours of paging for one listing and far more
// sharings than one project's backups make in practice; a larger count is
// taken for a broken answer, and the listing pages one by one until a page
// is short or empty, as it does when the count call fails.
const MaxCount = 1_000_000

// DefaultMaxReceived is how many sharings a listing takes from the server
// at most, unless ListAllOpts.MaxReceived says otherwise: ten times more
// than one project makes in practice, and a bound on a server that pages
// without end, one new sharing after another.
const DefaultMaxReceived = 1_000_000

// ListAllOpts says how ListAll and ListEach read a listing.
type ListAllOpts struct {
	// Concurrency is how many pages are requested at once once the count
	// shows there are more; below 2 they are read one after the other.
	Concurrency int

	// Max stops the listing once it holds this many sharings that match
	// the filters, reading no page beyond the one that reaches it; 0 reads
	// everything.
	Max int

	// MaxReceived fails the listing once the server has returned more
	// sharings than this, matching or not; 0 means DefaultMaxReceived.
	MaxReceived int

	// ProjectID is the caller's project, which share_to_me is relative to.
	// With it the listing checks that filter too (see ListOpts.Match);
	// without it that one is left to the server.
	ProjectID string
}

// Listing is what a listing read, with what the count call said.
type Listing struct {
	// Shares are the sharings ListAll read, in the API's order. Never nil
	// from ListAll; ListEach hands them to its callback instead and leaves
	// Shares nil.
	Shares []Share

	// Listed is how many sharings the listing handed over: those the
	// server returned that match the filters, repeats dropped, at most
	// ListAllOpts.Max.
	Listed int

	// Dropped is how many sharings the server returned that the filters
	// exclude, so a server that ignores a filter; they are left out.
	Dropped int

	// Count is what the count call answered, or -1 when that call failed
	// (CountErr says why).
	Count    int
	CountErr error

	// PageSize is the page size the listing paged with: ListOpts.Limit, or
	// a smaller one the server imposed.
	PageSize int

	// Expected is how many sharings the count says this listing would hold
	// (from ListOpts.Offset on, at most Max), or -1 without a count to go
	// by: the call failed, or answered a number below 0 or above MaxCount.
	//
	// With Dropped at 0, a difference from Listed means sharings were
	// created or deleted while the listing ran. The count takes the same
	// filters as the pages, so a server that ignores one most likely counts
	// the sharings that filter excludes as well: with Dropped above 0 the
	// difference says nothing about changes.
	Expected int
}

// ListAll reads every sharing matching opts, from opts.Offset on, with limit
// and offset paging, and returns them in the API's order. It is ListEach
// collecting every page.
func ListAll(ctx context.Context, c *gophercloud.ServiceClient, opts ListOpts, how ListAllOpts) (*Listing, error) {
	shares := []Share{}
	l, err := ListEach(ctx, c, opts, how, func(page []Share) bool {
		shares = append(shares, page...)
		return true
	})
	if err != nil {
		return nil, err
	}
	l.Shares = shares
	return l, nil
}

// ListEach reads every sharing matching opts, from opts.Offset on, with
// limit and offset paging, and hands them to each a page at a time, in the
// API's order, as soon as that page and every page before it have arrived.
// It holds no more than the pages in flight (and the IDs seen, to drop
// repeats). each gets only sharings that match the filters (see
// ListOpts.Match), never one twice, at most how.Max in all, and is not
// called for a page that leaves none; the slice is each's to keep. When
// each returns false the listing stops: the requests in flight are
// cancelled, and ListEach returns what it read so far with no error, and
// calls each no more.
//
// The page size asked for is opts.Limit, or DefaultPageSize when that is 0.
// ListEach asks Count together with the first page, so knowing the total
// costs no round trip. A server that caps pages below the limit asked for
// answers the first page short: its length is then taken as the server's
// page size. With the count known, up to how.Concurrency pages are in
// flight, each requested only while its offset is below the count; without
// it (the call failed, or the count is not believable: see MaxCount), pages
// are read one at a time.
//
// The listing ends at the first page that is empty, shorter than the page
// size, or brings no sharing not seen before (the server ignored the
// offset), and once how.Max sharings are held; pages already in flight
// after it are cancelled and discarded. Offset paging is fragile: a sharing
// created mid-listing shifts the offsets and makes a page repeat one of the
// previous page, which is dropped. When the pages the count called for are
// read, the last was full and the sharings read are still short of the
// count, such a shift is the reason, and ListEach pages on one at a time
// until the count is reached. It also pages on past the count once the
// server returned a sharing the filters exclude: that server ignores a
// filter, and its count may honour it.
func ListEach(ctx context.Context, c *gophercloud.ServiceClient, opts ListOpts, how ListAllOpts, each func(page []Share) bool) (*Listing, error) {
	if opts.Limit <= 0 {
		opts.Limit = DefaultPageSize
	}
	if how.Max > 0 && how.Max < opts.Limit {
		opts.Limit = how.Max
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type counted struct {
		n   int
		err error
	}
	countDone := make(chan counted, 1)
	go func() {
		n, err := Count(ctx, c, opts.countOpts())
		countDone <- counted{n, err}
	}()
	first, err := listPage(ctx, c, opts)
	if err != nil {
		return nil, &PageError{Page: 1, Offset: opts.Offset, Limit: opts.Limit, Err: err}
	}

	if how.MaxReceived <= 0 {
		how.MaxReceived = DefaultMaxReceived
	}
	r := &reader{opts: opts, how: how, each: each, seen: make(map[string]struct{}), l: &Listing{Count: -1, Expected: -1, PageSize: opts.Limit}}
	if len(first) > 0 && len(first) < opts.Limit {
		r.l.PageSize = len(first)
	}
	// The first page goes out before the count is in: the count only
	// plans the pages after it.
	more := r.take(first)
	if r.stopped {
		cancel()
	}
	count := <-countDone
	if count.err != nil && parent.Err() != nil {
		return nil, count.err
	}
	r.counted(count.n, count.err)
	if !more {
		return r.finish(parent)
	}
	if _, err := r.rest(ctx, cancel, c, opts.Offset+len(first)); err != nil {
		return nil, err
	}
	return r.finish(parent)
}

// finish ends a listing that read its pages: it fails one that passed
// how.MaxReceived and logs, once, what makes a listing read to its end
// doubtful.
func (r *reader) finish(ctx context.Context) (*Listing, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.stopped || r.full() {
		// Stopped early on purpose: nothing to compare.
		return r.l, nil
	}
	filters, _ := r.opts.ToShareListQuery()
	if r.l.Dropped > 0 {
		tflog.Warn(ctx, "the API returned backup sharings that the filters exclude, so it ignores a filter; they were left out", map[string]any{
			"filters": filters, "excluded": r.l.Dropped, "listed": r.l.Listed, "returned": r.returned, "counted": r.l.Expected,
		})
	}
	// The count is compared with what the server returned before the
	// filters were applied again: a server that ignores a filter in its
	// pages and its count alike raises no alarm here.
	if r.l.Expected >= 0 && r.returned != r.l.Expected {
		tflog.Warn(ctx, "the count of backup sharings disagrees with the pages listed: sharings were created or deleted meanwhile, "+
			"or the server filters its count and its pages differently", map[string]any{
			"filters": filters, "returned": r.returned, "listed": r.l.Listed, "counted": r.l.Expected,
		})
	}
	return r.l, nil
}

// PageError is a page of a listing that failed: the listing ends with it,
// after the pages before it were handed over.
type PageError struct {
	// Page counts from 1, the first page of this listing; Offset and Limit
	// are the page's as asked.
	Page, Offset, Limit int
	Err                 error
}

func (e *PageError) Error() string {
	return fmt.Sprintf("page %d of the listing (offset %d, limit %d): %v", e.Page, e.Offset, e.Limit, e.Err)
}

func (e *PageError) Unwrap() error { return e.Err }

// reader is the state of one listing.
type reader struct {
	opts ListOpts
	how  ListAllOpts
	each func([]Share) bool
	l    *Listing

	seen map[string]struct{}
	// pages is how many pages were taken; returned, how many distinct
	// sharings they brought, matching or not; unkept, how many of their
	// items were repeats or dropped.
	pages, returned, unkept int
	// byCount is set when the count is believed; end is then the offset
	// it says the listing ends at.
	byCount bool
	end     int
	stopped bool
	// err ends the listing: the server passed how.MaxReceived.
	err error
}

func (r *reader) counted(n int, err error) {
	if err != nil {
		r.l.CountErr = err
		return
	}
	r.l.Count = n
	if n < 0 || n > MaxCount {
		return
	}
	r.byCount, r.end = true, n
	r.l.Expected = max(n-r.opts.Offset, 0)
	if r.how.Max > 0 {
		r.l.Expected = min(r.l.Expected, r.how.Max)
	}
}

func (r *reader) full() bool { return r.how.Max > 0 && r.l.Listed >= r.how.Max }

// take hands over what the next page in order brings and says whether the
// listing goes on.
func (r *reader) take(page []shareWire) bool {
	r.pages++
	var out []Share
	added := 0
	for i := range page {
		if r.full() {
			break
		}
		w := &page[i]
		// A sharing without an ID cannot be checked for repeats; it is
		// kept but does not count as new, or a server that ignores the
		// offset could keep a listing going for ever.
		if w.ID != "" {
			if _, dup := r.seen[w.ID]; dup {
				r.unkept++
				continue
			}
			r.seen[w.ID] = struct{}{}
			added++
		}
		r.returned++
		if r.returned > r.how.MaxReceived {
			r.err = fmt.Errorf("listing backup sharings: the server returned more than %d sharings, the most a listing takes (a server "+
				"that pages without end?); narrow the listing with filters", r.how.MaxReceived)
			return false
		}
		s := w.share()
		if !r.opts.Match(&s, r.how.ProjectID) {
			r.l.Dropped++
			r.unkept++
			continue
		}
		out = append(out, s)
		r.l.Listed++
	}
	if len(out) > 0 && r.each != nil && !r.each(out) {
		r.stopped = true
		return false
	}
	switch {
	case len(page) == 0 || r.full():
		return false
	case r.pages == 1:
		// Its length set the page size, and the count says whether more
		// follow.
		return true
	}
	return len(page) >= r.l.PageSize && added > 0
}

// wants says whether the page at offset next is worth requesting, with
// inFlight pages requested and not taken yet.
func (r *reader) wants(next, inFlight int) bool {
	// Even if every sharing in flight matched, Max would be reached before
	// next: a page there could only be discarded.
	if r.how.Max > 0 && next-r.opts.Offset-r.unkept >= r.how.Max {
		return false
	}
	switch {
	case !r.byCount:
		return inFlight == 0
	case next < r.end:
		return inFlight < max(r.how.Concurrency, 1)
	}
	// Past the count, one page at a time: sharings read are short of the
	// count because repeats were dropped, or the server ignores a filter,
	// and then its count may leave out what the pages bring besides the
	// matches.
	return inFlight == 0 && (r.returned < r.end-r.opts.Offset || r.l.Dropped > 0)
}

// rest reads the pages after the first, from offset next, with a window of
// requests in flight that slides as the pages are taken in order. A failed
// page fails the listing once the pages before it are taken; no page is
// requested after a failure.
func (r *reader) rest(ctx context.Context, cancel context.CancelFunc, c *gophercloud.ServiceClient, next int) (*Listing, error) {
	type fetched struct {
		page   []shareWire
		offset int
		err    error
	}
	var (
		inFlight []chan fetched
		wg       sync.WaitGroup
		failed   atomic.Bool
	)
	// However the listing ends, no request outlives it.
	defer func() {
		cancel()
		wg.Wait()
	}()
	pageOpts := r.opts
	pageOpts.Limit = r.l.PageSize
	for {
		for !failed.Load() && r.wants(next, len(inFlight)) {
			done := make(chan fetched, 1)
			inFlight = append(inFlight, done)
			pageOpts.Offset = next
			wg.Add(1)
			go func(opts ListOpts) {
				defer wg.Done()
				page, err := listPage(ctx, c, opts)
				if err != nil {
					failed.Store(true)
				}
				done <- fetched{page, opts.Offset, err}
			}(pageOpts)
			next += r.l.PageSize
		}
		if len(inFlight) == 0 {
			return r.l, nil
		}
		f := <-inFlight[0]
		inFlight = inFlight[1:]
		if f.err != nil {
			// The pages before it were all taken.
			return nil, &PageError{Page: r.pages + 1, Offset: f.offset, Limit: pageOpts.Limit, Err: f.err}
		}
		if !r.take(f.page) {
			return r.l, nil
		}
	}
}
