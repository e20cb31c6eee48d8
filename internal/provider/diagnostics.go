package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/vbs-tf/terraform-provider-vbs/internal/client"
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

// fail reports why the operation failed, as exactly one diagnostic.
func (op *operation) fail(what subject, err error) {
	switch {
	case op.parent.Err() != nil:
		// Terraform stopped us (Ctrl-C): one short line, not the error the
		// cancellation caused.
		op.diags.AddError(capitalize(what.doing)+" was interrupted",
			"Terraform stopped the provider (for example after Ctrl-C) before this finished.")
		return
	case op.ctx.Err() != nil && errors.Is(op.ctx.Err(), context.DeadlineExceeded):
		op.timedOut(what, err)
		return
	}
	var authErr *client.AuthError
	switch {
	case errors.As(err, &authErr):
		op.loginFailed(what, authErr)
	case errors.Is(err, client.ErrNoEndpoint):
		op.diags.AddAttributeError(path.Root("endpoints"), "VBS endpoint not found", err.Error())
	default:
		op.callFailed(what, err)
	}
}

func (op *operation) timedOut(what subject, err error) {
	name := strings.TrimPrefix(op.timeoutName, "timeouts.")
	detail := fmt.Sprintf("It did not finish within %s, the limit set by %s (or its default when unset). "+
		"Raise %s, for example timeouts = { %s = \"%s\" }, or check that the cloud answers.",
		shortDuration(op.timeout), op.timeoutName, op.timeoutName, name, shortDuration(suggestTimeout(op.timeout)))
	if err != nil && err.Error() != context.DeadlineExceeded.Error() {
		detail += "\n\nLast error: " + err.Error()
	}
	op.diags.AddError(fmt.Sprintf("%s timed out after %s (%s)", capitalize(what.doing), shortDuration(op.timeout), op.timeoutName), detail)
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

// loginFailed reports a failed Keystone login (or, with AK/SK, the signed
// catalog request that stands in for it).
func (op *operation) loginFailed(what subject, e *client.AuthError) {
	failure := client.Classify(e.Err)
	while := " This happened while " + what.doing + "."
	switch failure.Class {
	case client.FailureUnreachable:
		op.diags.AddAttributeError(path.Root("auth_url"), "Cannot reach Keystone at "+failure.Addr,
			fmt.Sprintf("Logging in at %s failed: %s. Is auth_url (OS_AUTH_URL) right, and is the network to %s "+
				"reachable (proxy, VPN, firewall)?%s", e.AuthURL, failure.Cause, failure.Addr, while))
	case client.FailureTLS:
		op.diags.AddAttributeError(path.Root("cacert_file"), "TLS verification failed for Keystone at "+failure.Addr,
			fmt.Sprintf("Logging in at %s failed: %s. If the cloud uses a private certificate authority, set cacert_file "+
				"(OS_CACERT) to its PEM file; on a test cloud only, insecure = true (OS_INSECURE) skips verification. A "+
				"server that asks for a client certificate takes cert and key (OS_CERT, OS_KEY).%s",
				e.AuthURL, failure.Cause, while))
	case client.FailureHTTP:
		api := failure.API
		switch api.StatusCode {
		case http.StatusNotFound:
			op.diags.AddAttributeError(path.Root("auth_url"), "Keystone not found at auth_url",
				fmt.Sprintf("%s %s answered HTTP 404: no Keystone v3 is there. auth_url (OS_AUTH_URL) should be the "+
					"Keystone v3 URL, ending in /v3, for example https://iam.eu-de.otc.t-systems.com/v3.\n\n%s",
					api.Method, api.URL, api.Error()))
		case http.StatusUnauthorized:
			op.diags.AddError("Keystone refused the credentials",
				fmt.Sprintf("Logging in at %s with %s was refused. Check the credentials: %s.\n\n%s",
					e.AuthURL, e.Credentials, credentialsHint(op.settings), api.Error()))
		case http.StatusForbidden:
			op.diags.AddAttributeError(path.Root("project_id"), "Keystone refused the project scope",
				fmt.Sprintf("Logging in at %s with %s was forbidden: the user may not be a member of the project, or lack a "+
					"role in it. Check project_id or project_name (OS_PROJECT_ID, OS_PROJECT_NAME) and the user's roles.\n\n%s",
					e.AuthURL, e.Credentials, api.Error()))
		default:
			op.diags.AddError("Unable to log in at Keystone",
				fmt.Sprintf("Logging in at %s with %s failed.%s\n\n%s", e.AuthURL, e.Credentials, while, api.Error()))
		}
	default:
		op.diags.AddError("Unable to log in at Keystone",
			fmt.Sprintf("Logging in at %s with %s failed: %v.%s", e.AuthURL, e.Credentials, e.Err, while))
	}
}

// callFailed reports a failed VBS call.
func (op *operation) callFailed(what subject, err error) {
	project := ""
	if op.conn != nil {
		project = " in project " + op.conn.ProjectID
	}
	failure := client.Classify(err)
	switch failure.Class {
	case client.FailureUnreachable:
		op.diags.AddAttributeError(path.Root("endpoints"), "Cannot reach the VBS API at "+failure.Addr,
			fmt.Sprintf("%s failed: %s. Is the VBS endpoint right (endpoints = { vbs = … } in the provider block, or the "+
				"service catalog's vbs entry), and is the network to %s reachable (proxy, VPN, firewall)?\n\n%v",
				capitalize(what.doing), failure.Cause, failure.Addr, err))
		return
	case client.FailureTLS:
		op.diags.AddAttributeError(path.Root("cacert_file"), "TLS verification failed for the VBS API at "+failure.Addr,
			fmt.Sprintf("%s failed: %s. If the cloud uses a private certificate authority, set cacert_file (OS_CACERT) to "+
				"its PEM file; on a test cloud only, insecure = true (OS_INSECURE) skips verification. A server that asks "+
				"for a client certificate takes cert and key (OS_CERT, OS_KEY).",
				capitalize(what.doing), failure.Cause))
		return
	case client.FailureHTTP:
	default:
		op.diags.AddError(capitalize(what.doing)+" failed", fmt.Sprintf("%s failed%s: %v", capitalize(what.doing), project, err))
		return
	}
	api := failure.API
	switch api.StatusCode {
	case http.StatusNotFound:
		if what.notFound != nil {
			op.diags.AddAttributeError(what.attr, "Backup sharing not found", what.notFound(op.conn.ProjectID)+"\n\n"+api.Error())
			return
		}
	case http.StatusUnauthorized:
		op.diags.AddError("The VBS API refused the credentials",
			fmt.Sprintf("%s was refused%s although the login succeeded; logging in again did not help. Check the "+
				"credentials: %s.\n\n%s", capitalize(what.doing), project, credentialsHint(op.settings), api.Error()))
		return
	case http.StatusForbidden:
		op.diags.AddError(capitalize(what.doing)+" was forbidden",
			fmt.Sprintf("The VBS API refused this%s. The login works, but the user lacks VBS permissions in the "+
				"project, or the token is scoped to another project: check project_id (OS_PROJECT_ID) and the "+
				"user's roles.\n\n%s", project, api.Error()))
		return
	}
	op.diags.AddError(capitalize(what.doing)+" failed", fmt.Sprintf("The VBS API answered with an error%s.\n\n%s", project, api.Error()))
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
