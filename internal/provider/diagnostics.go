package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/vbs-tf/terraform-provider-vbs/internal/client"
	"github.com/vbs-tf/terraform-provider-vbs/internal/failure"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs/sharing"
)

// diagnostics is short for the framework's diagnostics list.
type diagnostics = diag.Diagnostics

// configuredClient takes the provider's client out of ProviderData. Before
// the provider is configured (validate), ProviderData is nil and that is fine.
func configuredClient(providerData any, diags *diag.Diagnostics) *client.Client {
	if providerData == nil {
		return nil
	}
	c, ok := providerData.(*client.Client)
	if !ok {
		diags.AddError("Unexpected provider data",
			fmt.Sprintf("Expected *client.Client, got %T. This is a bug in the provider; please report it.", providerData))
		return nil
	}
	return c
}

// operation is one piece of work on the cloud that Terraform asked for (a
// read, a listing, a create, a delete), bounded by the timeout the user set
// for it, which covers the login, every request, and the waits between
// retries. Every failure of an operation is reported through fail, as one
// diagnostic that says what went wrong and what to do.
type operation struct {
	// ctx is the operation's bounded context; parent is Terraform's, which
	// StopProvider cancels.
	ctx, parent context.Context
	cancel      context.CancelFunc
	timeout     time.Duration
	// timeoutName is the attribute that set timeout, such as "timeouts.read".
	timeoutName string
	conn        *client.Connection
	// settings name the credentials in use when a call is refused.
	settings client.Settings
	diags    *diagnostics
}

// timeoutFunc is how terraform-plugin-framework-timeouts values read one
// timeout, such as timeouts.Value.Read.
type timeoutFunc func(context.Context, time.Duration) (time.Duration, diag.Diagnostics)

// begin starts an operation: it bounds ctx by the timeout the user set (or
// defaultTimeout) and connects. It returns nil, with the reason in diags, when the
// operation cannot start; otherwise the caller must call end.
func begin(ctx context.Context, c *client.Client, timeout timeoutFunc, timeoutName string, what subject, diags *diagnostics) *operation {
	d, timeoutDiags := timeout(ctx, defaultTimeout)
	diags.Append(timeoutDiags...)
	if diags.HasError() {
		return nil
	}
	if c == nil {
		diags.AddError("Provider not configured",
			"The vbs provider was not configured before this object was used. This is a bug in the provider or Terraform; please report it.")
		return nil
	}
	op := &operation{parent: ctx, timeout: d, timeoutName: timeoutName, settings: c.Settings(), diags: diags}
	op.ctx, op.cancel = context.WithTimeout(ctx, d)
	conn, err := c.Connect(op.ctx)
	if err != nil {
		op.fail(what, err)
		op.end()
		return nil
	}
	op.conn = conn
	return op
}

func (op *operation) end() { op.cancel() }

// subject is what an operation works on, for its diagnostics.
type subject struct {
	// doing is the work in the user's words, as it continues "… failed":
	// "reading backup sharing <id>", "listing backup sharings (filters)".
	doing string
	// attr is the attribute to point at when the object does not exist;
	// empty for none.
	attr path.Path
	// notFound words a 404 for this object in a project; nil makes it an
	// ordinary failure.
	notFound func(projectID string) string
}

// fail reports why the operation failed, as exactly one diagnostic, in the
// words of the failure model's row for the error's class
// (failure.Policies), which also decided whether it was retried.
func (op *operation) fail(what subject, err error) {
	switch {
	case op.parent.Err() != nil:
		// Terraform stopped us (Ctrl-C): one short line, not the error the
		// cancellation caused.
		summary, detail, _ := failure.Policies[failure.Cancelled].Render(failure.Vars{Doing: capitalize(what.doing)}, false)
		op.diags.AddError(summary, detail)
		return
	case op.ctx.Err() != nil && errors.Is(op.ctx.Err(), context.DeadlineExceeded),
		failure.Classify(err).Class == failure.Deadline:
		// A shared read runs under the latest deadline of its callers and
		// may end a moment before this caller's own timer fires.
		op.timedOut(what, err)
		return
	}
	var authErr *client.AuthError
	switch {
	case errors.As(err, &authErr):
		op.report(what, authErr.Err, authErr)
	case errors.Is(err, client.ErrNoEndpoint):
		op.diags.AddAttributeError(path.Root("endpoints"), "VBS endpoint not found", err.Error())
	default:
		op.report(what, err, nil)
	}
}

func (op *operation) timedOut(what subject, err error) {
	name := strings.TrimPrefix(op.timeoutName, "timeouts.")
	summary, _, _ := failure.Policies[failure.Deadline].Render(failure.Vars{Doing: capitalize(what.doing)}, false)
	detail := fmt.Sprintf("It did not finish within %s, the limit set by %s (or its default when unset). "+
		"Raise %s, for example timeouts = { %s = \"%s\" }, or check that the cloud answers.",
		shortDuration(op.timeout), op.timeoutName, op.timeoutName, name, shortDuration(suggestTimeout(op.timeout)))
	if err != nil && err.Error() != context.DeadlineExceeded.Error() {
		detail += "\n\nLast error: " + err.Error()
	}
	op.diags.AddError(fmt.Sprintf("%s after %s (%s)", summary, shortDuration(op.timeout), op.timeoutName), detail)
}

// suggestTimeout is a round duration well above d.
func suggestTimeout(d time.Duration) time.Duration {
	for _, s := range []time.Duration{time.Minute, 5 * time.Minute, 10 * time.Minute, 30 * time.Minute} {
		if s > 2*d {
			return s
		}
	}
	return 2 * d
}

// credentialsHint names the settings behind the credentials in use.
func credentialsHint(s client.Settings) string {
	switch {
	case s.AccessKey != "":
		return "access_key and secret_key (OS_ACCESS_KEY, OS_SECRET_KEY)" + map[bool]string{true: " and security_token (OS_SECURITY_TOKEN)"}[s.SecurityToken != ""]
	case s.Token != "":
		return "token (OS_TOKEN): it may have expired; tokens cannot be renewed, a password can"
	case s.UserID != "":
		return "user_id (OS_USER_ID) and password (OS_PASSWORD)"
	default:
		return "user_name (OS_USERNAME), password (OS_PASSWORD) and the user's domain, domain_name or domain_id (OS_DOMAIN_NAME, OS_DOMAIN_ID)"
	}
}

// vbsEndpointSetting names where the VBS endpoint comes from.
const vbsEndpointSetting = "the VBS endpoint (endpoints = { vbs = … } in the provider block, or the service catalog's vbs entry)"

// report renders a failed VBS call, or with login a failed Keystone login
// (with AK/SK, the signed catalog request that stands in for it), from the
// failure model's row for its class, followed by the error itself: the
// API's status, code, message and request ID, or what the network said.
func (op *operation) report(what subject, err error, login *client.AuthError) {
	f := failure.Classify(err)
	var api *vbs.APIError
	errors.As(err, &api)
	vars := failure.Vars{
		Doing: capitalize(what.doing), Service: "the VBS API", Addr: f.Addr, Cause: f.Cause, Endpoint: vbsEndpointSetting,
		Credentials: credentialsHint(op.settings), Status: f.Status,
	}
	if op.conn != nil {
		vars.Project = " in project " + op.conn.ProjectID
	}
	if api != nil {
		vars.Call = strings.TrimSpace(api.Method + " " + api.URL)
	}
	if login != nil {
		vars.Doing = fmt.Sprintf("Logging in at %s with %s", login.AuthURL, login.Credentials)
		vars.Service, vars.Endpoint, vars.Project = "Keystone", "auth_url (OS_AUTH_URL)", ""
	}
	if f.Class == failure.NotFound && login == nil && what.notFound != nil && op.conn != nil {
		op.diags.AddAttributeError(what.attr, "Backup sharing not found", what.notFound(op.conn.ProjectID)+"\n\n"+api.Error())
		return
	}
	summary, detail, attribute := failure.Policies[f.Class].Render(vars, login != nil)
	if login != nil {
		detail += " This happened while " + what.doing + "."
	}
	cause := err
	var page *sharing.PageError
	if errors.As(err, &page) {
		detail += fmt.Sprintf(" It failed at page %d of the listing (offset %d, limit %d).", page.Page, page.Offset, page.Limit)
		cause = page.Err
	}
	switch {
	case api != nil:
		detail += "\n\n" + api.Error()
	case f.Class != failure.TLS:
		detail += "\n\n" + cause.Error()
	}
	if attribute != "" {
		op.diags.AddAttributeError(path.Root(attribute), summary, detail)
		return
	}
	op.diags.AddError(summary, detail)
}

func capitalize(s string) string {
	for i, r := range s {
		return string(unicode.ToUpper(r)) + s[i+len(string(r)):]
	}
	return s
}

// describeFilters says in words which filters a listing used.
func describeFilters(opts sharing.ListOpts) string {
	var parts []string
	add := func(name, value string) {
		if value != "" {
			parts = append(parts, name+"="+value)
		}
	}
	if opts.ShareToMe != nil {
		add("share_to_me", fmt.Sprint(*opts.ShareToMe))
	}
	add("backup_id", opts.BackupID)
	add("volume_id", opts.VolumeID)
	add("name", opts.Name)
	add("status", opts.Status)
	add("from_project_id", opts.FromProjectID)
	add("to_project_id", opts.ToProjectID)
	add("availability_zone", opts.AvailabilityZone)
	if len(parts) == 0 {
		return "(no filters)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
