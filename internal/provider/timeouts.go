package provider

import (
	"context"
	"fmt"
	"time"

	dstimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	rsschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
)

// defaultTimeout bounds every operation whose timeout the user left unset.
// Sharing is a metadata change, quick unless the API is throttling; one
// request may wait up to two minutes for its retries (max_retries), so an
// operation that logs in first gets more than that.
const defaultTimeout = 5 * time.Minute

// timeoutDescription documents one timeout: what it bounds and its default.
func timeoutDescription(operation string) string {
	return fmt.Sprintf("How long %s may take, login, retries and their waits included, as a duration such as "+
		"`30s`, `10m` or `1h`. Default `%s`. When it runs out the operation fails with an error naming this timeout.",
		operation, shortDuration(defaultTimeout))
}

// shortDuration writes 5m rather than time's 5m0s.
func shortDuration(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// dataSourceTimeouts is the `timeouts = { read = "…" }` attribute of the
// data sources.
func dataSourceTimeouts(ctx context.Context) dsschema.Attribute {
	return dstimeouts.AttributesWithOpts(ctx, dstimeouts.Opts{
		ReadDescription: timeoutDescription("reading"),
	})
}

// resourceTimeouts is the `timeouts = { create, read, delete }` attribute of
// the resource.
func resourceTimeouts(ctx context.Context) rsschema.Attribute {
	return timeouts.Attributes(ctx, timeouts.Opts{
		Create: true, Read: true, Delete: true,
		CreateDescription: timeoutDescription("sharing the backup"),
		ReadDescription:   timeoutDescription("reading the sharing"),
		DeleteDescription: timeoutDescription("cancelling the sharing"),
	})
}
