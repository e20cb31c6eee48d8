package provider

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/vbs-tf/terraform-provider-vbs/internal/client"
)

// setting is one string provider attribute and the environment variables
// that stand in for it, in order of preference.
type setting struct {
	attribute string
	value     types.String
	env       []string
	target    *string
}

// source names where a value may come from, for diagnostics.
func (s setting) source() string {
	return s.attribute + " (or " + strings.Join(s.env, " / ") + ")"
}

// resolveSettings merges the provider block with the OS_* environment: an
// attribute set in the block wins over the environment. It reports every
// missing or contradictory setting at once, each naming the attribute and
// its environment variables.
func resolveSettings(_ context.Context, config providerModel, diags *diag.Diagnostics) client.Settings {
	var s client.Settings
	settings := map[string]*setting{}
	for _, st := range []*setting{
		{attribute: "auth_url", value: config.AuthURL, env: []string{"OS_AUTH_URL"}, target: &s.AuthURL},
		{attribute: "region", value: config.Region, env: []string{"OS_REGION_NAME"}, target: &s.Region},
		{attribute: "project_id", value: config.ProjectID, env: []string{"OS_PROJECT_ID", "OS_TENANT_ID"}, target: &s.ProjectID},
		{attribute: "project_name", value: config.ProjectName, env: []string{"OS_PROJECT_NAME", "OS_TENANT_NAME"}, target: &s.ProjectName},
		{attribute: "domain_id", value: config.DomainID, env: []string{"OS_DOMAIN_ID", "OS_USER_DOMAIN_ID"}, target: &s.DomainID},
		{attribute: "domain_name", value: config.DomainName, env: []string{"OS_DOMAIN_NAME", "OS_USER_DOMAIN_NAME"}, target: &s.DomainName},
		{attribute: "user_id", value: config.UserID, env: []string{"OS_USER_ID"}, target: &s.UserID},
		{attribute: "user_name", value: config.UserName, env: []string{"OS_USERNAME"}, target: &s.UserName},
		{attribute: "password", value: config.Password, env: []string{"OS_PASSWORD"}, target: &s.Password},
		{attribute: "token", value: config.Token, env: []string{"OS_TOKEN", "OS_AUTH_TOKEN"}, target: &s.Token},
		{attribute: "cacert_file", value: config.CACertFile, env: []string{"OS_CACERT"}, target: &s.CACertFile},
	} {
		settings[st.attribute] = st
		if st.value.IsUnknown() {
			diags.AddAttributeError(path.Root(st.attribute), "Provider setting not known yet",
				fmt.Sprintf("%s depends on a value that is only known after apply. The provider needs it to connect; "+
					"set it to a known value or leave it out and use %s.", st.attribute, strings.Join(st.env, " / ")))
			continue
		}
		if !st.value.IsNull() {
			*st.target = strings.TrimSpace(st.value.ValueString())
			continue
		}
		for _, name := range st.env {
			if v := strings.TrimSpace(os.Getenv(name)); v != "" {
				*st.target = v
				break
			}
		}
	}

	// Pairs that name the same thing twice: a value written in the provider
	// block silences the environment for the whole pair, so an OS_USER_ID left
	// in the shell does not contradict a user_name in the configuration.
	for _, pair := range [][2]string{{"user_id", "user_name"}, {"domain_id", "domain_name"}, {"password", "token"}} {
		a, b := settings[pair[0]], settings[pair[1]]
		switch {
		case !a.value.IsNull() && b.value.IsNull():
			*b.target = ""
		case a.value.IsNull() && !b.value.IsNull():
			*a.target = ""
		}
		if *a.target != "" && *b.target != "" {
			diags.AddAttributeError(path.Root(pair[0]), "Contradictory provider settings",
				fmt.Sprintf("Both %s and %s are set. They say the same thing two ways; keep one and unset the other.",
					a.source(), b.source()))
		}
	}

	switch {
	case config.Insecure.IsUnknown():
		diags.AddAttributeError(path.Root("insecure"), "Provider setting not known yet",
			"insecure depends on a value that is only known after apply; set it to true or false, or use OS_INSECURE.")
	case !config.Insecure.IsNull():
		s.Insecure = config.Insecure.ValueBool()
	default:
		if v := strings.TrimSpace(os.Getenv("OS_INSECURE")); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				diags.AddAttributeError(path.Root("insecure"), "Invalid OS_INSECURE",
					fmt.Sprintf("The environment variable OS_INSECURE is %q; it must be true or false.", v))
			}
			s.Insecure = b
		}
	}

	if config.Endpoints.IsUnknown() {
		diags.AddAttributeError(path.Root("endpoints"), "Provider setting not known yet",
			"endpoints depends on a value that is only known after apply; set it to known URLs.")
	} else if !config.Endpoints.IsNull() {
		s.Endpoints = map[string]string{}
		for key, value := range config.Endpoints.Elements() {
			if str, ok := value.(types.String); ok && !str.IsNull() && !str.IsUnknown() {
				s.Endpoints[key] = str.ValueString()
			}
		}
	}
	if diags.HasError() {
		return s
	}

	if s.AuthURL == "" {
		diags.AddAttributeError(path.Root("auth_url"), "Missing Keystone URL",
			"Set auth_url in the provider block or the OS_AUTH_URL environment variable to the Keystone v3 URL, "+
				"for example https://iam.eu-de.otc.t-systems.com/v3.")
	}
	switch {
	case s.Token != "":
	case s.UserID == "" && s.UserName == "":
		diags.AddAttributeError(path.Root("user_name"), "Missing credentials",
			"Set user_name (or OS_USERNAME) or user_id (or OS_USER_ID) together with password (or OS_PASSWORD), "+
				"or set token (or OS_TOKEN) to an existing Keystone token.")
	case s.Password == "":
		diags.AddAttributeError(path.Root("password"), "Missing password",
			fmt.Sprintf("A user is set, but no password. Set %s.", settings["password"].source()))
	}
	if s.ProjectID == "" && s.ProjectName == "" {
		diags.AddAttributeError(path.Root("project_id"), "Missing project",
			"Backup sharings belong to a project. Set project_id (or OS_PROJECT_ID) or project_name (or OS_PROJECT_NAME).")
	}
	noDomain := s.DomainID == "" && s.DomainName == ""
	if noDomain && s.Token == "" && s.UserID == "" && s.UserName != "" {
		diags.AddAttributeError(path.Root("domain_name"), "Missing domain",
			"A user given by name needs its domain. Set domain_name (or OS_DOMAIN_NAME / OS_USER_DOMAIN_NAME) "+
				"or domain_id (or OS_DOMAIN_ID / OS_USER_DOMAIN_ID).")
	} else if noDomain && s.ProjectID == "" && s.ProjectName != "" {
		diags.AddAttributeError(path.Root("domain_name"), "Missing domain",
			"A project given by name needs its domain. Set domain_name (or OS_DOMAIN_NAME) or domain_id (or OS_DOMAIN_ID), "+
				"or give the project by project_id (or OS_PROJECT_ID).")
	}
	return s
}
