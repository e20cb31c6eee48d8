package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/vbs-tf/terraform-provider-vbs/internal/client"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs/sharing"
)

// diagnostics is short for the framework's diagnostics list.
type diagnostics = diag.Diagnostics

// connect returns the authenticated connection, or reports why there is
// none.
func connect(ctx context.Context, c *client.Client, diags *diagnostics) *client.Connection {
	if c == nil {
		diags.AddError("Provider not configured",
			"The vbs provider was not configured before this object was used. This is a bug in the provider or Terraform; please report it.")
		return nil
	}
	conn, err := c.Connect(ctx)
	if err != nil {
		addConnectError(diags, err)
		return nil
	}
	return conn
}

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

// addConnectError reports a failure to authenticate or to find the endpoint.
func addConnectError(diags *diag.Diagnostics, err error) {
	var authErr *client.AuthError
	switch {
	case errors.As(err, &authErr):
		hint := "Check the credentials and the project scope."
		var apiErr *vbs.APIError
		if errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusUnauthorized || apiErr.StatusCode == http.StatusForbidden) {
			hint = "Keystone refused the credentials. Check user_name/user_id (OS_USERNAME/OS_USER_ID), password (OS_PASSWORD) " +
				"or token (OS_TOKEN), their domain (domain_name/OS_DOMAIN_NAME), and the project (project_id/OS_PROJECT_ID)."
		}
		diags.AddError("Unable to authenticate with Keystone", err.Error()+"\n\n"+hint)
	case errors.Is(err, client.ErrNoEndpoint):
		diags.AddAttributeError(path.Root("endpoints"), "VBS endpoint not found", err.Error())
	default:
		diags.AddError("Unable to connect to the cloud", err.Error())
	}
}

// addSharingError reports a failed sharing call with what the user needs to
// act: the sharing, the project, the HTTP status, the API's code and message
// and the request ID to quote to support. It never includes credentials.
func addSharingError(diags *diag.Diagnostics, attr path.Path, action, id string, conn *client.Connection, err error) {
	var apiErr *vbs.APIError
	if !errors.As(err, &apiErr) {
		diags.AddError(fmt.Sprintf("Unable to %s backup sharing %s", action, id),
			fmt.Sprintf("Project %s: %v", conn.ProjectID, err))
		return
	}
	switch apiErr.StatusCode {
	case http.StatusNotFound:
		diags.AddAttributeError(attr, "Backup sharing not found",
			fmt.Sprintf("No backup sharing with ID %s is visible to project %s. Check that the ID is the sharing's ID "+
				"(not the backup's) and that the backup was shared with this project.\n\n%s", id, conn.ProjectID, apiErr.Error()))
	case http.StatusUnauthorized, http.StatusForbidden:
		diags.AddError(fmt.Sprintf("Not authorized to %s backup sharing %s", action, id),
			fmt.Sprintf("The VBS API refused the request in project %s, made with %s. Check that this user has VBS "+
				"permissions in the project.\n\n%s", conn.ProjectID, conn.Credentials, apiErr.Error()))
	default:
		diags.AddError(fmt.Sprintf("Unable to %s backup sharing %s", action, id),
			fmt.Sprintf("Project %s.\n\n%s", conn.ProjectID, apiErr.Error()))
	}
}

// addListError reports a failed listing with its filters.
func addListError(diags *diagnostics, conn *client.Connection, opts sharing.ListOpts, err error) {
	detail := fmt.Sprintf("Listing backup sharings %s in project %s failed.\n\n%v", describeFilters(opts), conn.ProjectID, err)
	var apiErr *vbs.APIError
	if errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusUnauthorized || apiErr.StatusCode == http.StatusForbidden) {
		detail += "\n\nThe request was made with " + conn.Credentials + "; check that this user has VBS permissions in the project."
	}
	diags.AddError("Unable to list backup sharings", detail)
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
