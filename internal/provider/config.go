package provider

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/gophercloud/utils/v2/openstack/clientconfig"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"gopkg.in/yaml.v3"

	"github.com/vbs-tf/terraform-provider-vbs/internal/client"
)

// settingEnv names, for each string setting, the environment variables that
// stand in for it, in order of preference.
var settingEnv = map[string][]string{
	"auth_url":       {"OS_AUTH_URL"},
	"region":         {"OS_REGION_NAME"},
	"project_id":     {"OS_PROJECT_ID", "OS_TENANT_ID"},
	"project_name":   {"OS_PROJECT_NAME", "OS_TENANT_NAME"},
	"domain_id":      {"OS_DOMAIN_ID", "OS_USER_DOMAIN_ID"},
	"domain_name":    {"OS_DOMAIN_NAME", "OS_USER_DOMAIN_NAME"},
	"user_id":        {"OS_USER_ID"},
	"user_name":      {"OS_USERNAME"},
	"password":       {"OS_PASSWORD"},
	"token":          {"OS_TOKEN", "OS_AUTH_TOKEN"},
	"access_key":     {"OS_ACCESS_KEY"},
	"secret_key":     {"OS_SECRET_KEY"},
	"security_token": {"OS_SECURITY_TOKEN"},
	"cacert_file":    {"OS_CACERT"},
	"cert":           {"OS_CERT"},
	"key":            {"OS_KEY"},
	"insecure":       {"OS_INSECURE"},
	"max_retries":    {"OS_MAX_RETRIES"},
}

// settingGroups are settings that describe one thing together. The first
// source (block, environment, clouds.yaml) that sets any member provides the
// whole group, so an OS_PASSWORD left in the shell cannot mix with an
// access_key written in the block.
var settingGroups = [][]string{
	{"user_id", "user_name"},
	{"domain_id", "domain_name"},
	{"password", "token", "access_key", "secret_key", "security_token"},
	{"cert", "key"},
}

// source names where a setting may come from, for diagnostics.
func source(attribute string) string {
	return attribute + " (or " + strings.Join(settingEnv[attribute], " / ") + ")"
}

// layer is one source of settings: attribute name to raw value.
type layer map[string]string

// resolveSettings merges the provider block, the OS_* environment and, when
// `cloud` (OS_CLOUD) names one, a clouds.yaml entry, in that order of
// precedence. It reports every missing or contradictory setting at once,
// each naming the attribute and its environment variables.
func resolveSettings(_ context.Context, config providerModel, diags *diag.Diagnostics) client.Settings {
	block := layer{}
	for name, value := range map[string]types.String{
		"auth_url": config.AuthURL, "region": config.Region, "project_id": config.ProjectID,
		"project_name": config.ProjectName, "domain_id": config.DomainID, "domain_name": config.DomainName,
		"user_id": config.UserID, "user_name": config.UserName, "password": config.Password, "token": config.Token,
		"access_key": config.AccessKey, "secret_key": config.SecretKey, "security_token": config.SecurityToken,
		"cacert_file": config.CACertFile, "cert": config.Cert, "key": config.Key, "cloud": config.Cloud,
	} {
		if value.IsUnknown() {
			diags.AddAttributeError(path.Root(name), "Provider setting not known yet",
				fmt.Sprintf("%s depends on a value that is only known after apply. The provider needs it to connect; "+
					"set it to a known value or leave it out and use the environment.", name))
		} else if !value.IsNull() {
			block[name] = strings.TrimSpace(value.ValueString())
		}
	}
	if config.Insecure.IsUnknown() || config.MaxRetries.IsUnknown() || config.Endpoints.IsUnknown() {
		diags.AddError("Provider setting not known yet",
			"insecure, max_retries and endpoints must be known when the provider is configured; set them to literal values.")
	}
	if !config.Insecure.IsNull() && !config.Insecure.IsUnknown() {
		block["insecure"] = strconv.FormatBool(config.Insecure.ValueBool())
	}
	if !config.MaxRetries.IsNull() && !config.MaxRetries.IsUnknown() {
		block["max_retries"] = strconv.FormatInt(config.MaxRetries.ValueInt64(), 10)
	}

	env := layer{}
	for name, vars := range settingEnv {
		for _, v := range vars {
			if value := strings.TrimSpace(os.Getenv(v)); value != "" {
				env[name] = value
				break
			}
		}
	}

	layers := []layer{block, env}
	cloudName := block["cloud"]
	if cloudName == "" {
		cloudName = strings.TrimSpace(os.Getenv("OS_CLOUD"))
	}
	if cloudName != "" {
		file, err := cloudsYAMLLayer(cloudName)
		if err != nil {
			diags.AddAttributeError(path.Root("cloud"), "Unable to read clouds.yaml",
				fmt.Sprintf("cloud (or OS_CLOUD) is %q, but %v. clouds.yaml is looked for in OS_CLIENT_CONFIG_FILE, "+
					"the working directory, ~/.config/openstack and /etc/openstack.", cloudName, err))
			return client.Settings{}
		}
		layers = append(layers, file)
	}
	merged := mergeLayers(layers)

	s := client.Settings{
		AuthURL: merged["auth_url"], Region: merged["region"], ProjectID: merged["project_id"],
		ProjectName: merged["project_name"], DomainID: merged["domain_id"], DomainName: merged["domain_name"],
		UserID: merged["user_id"], UserName: merged["user_name"], Password: merged["password"], Token: merged["token"],
		AccessKey: merged["access_key"], SecretKey: merged["secret_key"], SecurityToken: merged["security_token"],
		CACertFile: merged["cacert_file"], Cert: merged["cert"], Key: merged["key"], Cloud: cloudName,
		MaxRetries: -1,
	}
	if v, ok := merged["insecure"]; ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			diags.AddAttributeError(path.Root("insecure"), "Invalid OS_INSECURE",
				fmt.Sprintf("The environment variable OS_INSECURE is %q; it must be true or false.", v))
		}
		s.Insecure = b
	}
	if v, ok := merged["max_retries"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxRetriesLimit {
			diags.AddAttributeError(path.Root("max_retries"), "Invalid OS_MAX_RETRIES",
				fmt.Sprintf("The environment variable OS_MAX_RETRIES is %q; it must be a whole number from 0 to %d.", v, maxRetriesLimit))
		}
		s.MaxRetries = n
	}
	if !config.Endpoints.IsNull() && !config.Endpoints.IsUnknown() {
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
	checkSettings(s, diags)
	return s
}

// mergeLayers takes each group from the first layer that sets any of its
// members, and every other setting from the first layer that sets it.
func mergeLayers(layers []layer) layer {
	merged := layer{}
	grouped := map[string]bool{}
	for _, group := range settingGroups {
		for _, name := range group {
			grouped[name] = true
		}
		for _, l := range layers {
			set := false
			for _, name := range group {
				if l[name] != "" {
					set = true
				}
			}
			if set {
				for _, name := range group {
					if l[name] != "" {
						merged[name] = l[name]
					}
				}
				break
			}
		}
	}
	for _, l := range layers {
		for name, value := range l {
			if _, done := merged[name]; !done && !grouped[name] && value != "" {
				merged[name] = value
			}
		}
	}
	return merged
}

// cloudsYAMLLayer reads one clouds.yaml entry, with its secure.yaml part
// merged in, as a layer of settings.
func cloudsYAMLLayer(name string) (layer, error) {
	cloud, err := clientconfig.GetCloudFromYAML(&clientconfig.ClientOpts{Cloud: name, YAMLOpts: cloudsYAMLFiles{}})
	if err != nil {
		return nil, err
	}
	l := layer{
		"region": cloud.RegionName, "cacert_file": cloud.CACertFile, "cert": cloud.ClientCertFile, "key": cloud.ClientKeyFile,
	}
	if cloud.Verify != nil {
		l["insecure"] = strconv.FormatBool(!*cloud.Verify)
	}
	if a := cloud.AuthInfo; a != nil {
		first := func(values ...string) string {
			for _, v := range values {
				if v != "" {
					return v
				}
			}
			return ""
		}
		l["auth_url"], l["token"], l["password"] = a.AuthURL, a.Token, a.Password
		l["user_id"], l["user_name"] = a.UserID, a.Username
		l["project_id"], l["project_name"] = a.ProjectID, a.ProjectName
		l["domain_id"] = first(a.UserDomainID, a.DomainID, a.ProjectDomainID)
		l["domain_name"] = first(a.UserDomainName, a.DomainName, a.ProjectDomainName)
		if l["domain_id"] != "" {
			// A clouds.yaml often names the domain both ways; the ID is exact.
			l["domain_name"] = ""
		}
		if a.UserID != "" {
			l["user_name"] = ""
		}
	}
	for k, v := range l {
		if v == "" {
			delete(l, k)
		}
	}
	return l, nil
}

// cloudsYAMLFiles finds clouds.yaml as gophercloud does, and secure.yaml
// also where OS_CLIENT_SECURE_FILE names it, as openstacksdk does; without
// it, gophercloud only looks in the working directory and the standard
// config folders.
type cloudsYAMLFiles struct{ clientconfig.YAMLOpts }

func (cloudsYAMLFiles) LoadSecureCloudsYAML() (map[string]clientconfig.Cloud, error) {
	name := os.Getenv("OS_CLIENT_SECURE_FILE")
	if name == "" {
		return clientconfig.LoadSecureCloudsYAML()
	}
	content, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("OS_CLIENT_SECURE_FILE: %w", err)
	}
	var secure clientconfig.Clouds
	if err := yaml.Unmarshal(content, &secure); err != nil {
		return nil, fmt.Errorf("OS_CLIENT_SECURE_FILE %s: %w", name, err)
	}
	return secure.Clouds, nil
}

// maxRetriesLimit bounds max_retries: beyond it, a failing cloud would hold
// a plan for many minutes.
const maxRetriesLimit = 20

// checkSettings reports settings that are missing or contradict each other.
func checkSettings(s client.Settings, diags *diag.Diagnostics) {
	conflict := func(a, b string) {
		diags.AddAttributeError(path.Root(a), "Contradictory provider settings",
			fmt.Sprintf("Both %s and %s are set. They are two ways to say one thing; keep one and unset the other.", source(a), source(b)))
	}
	if s.UserID != "" && s.UserName != "" {
		conflict("user_id", "user_name")
	}
	if s.DomainID != "" && s.DomainName != "" {
		conflict("domain_id", "domain_name")
	}
	if s.Password != "" && s.Token != "" {
		conflict("password", "token")
	}
	aksk := s.AccessKey != "" || s.SecretKey != ""
	if aksk && (s.Password != "" || s.Token != "") {
		diags.AddAttributeError(path.Root("access_key"), "Contradictory provider settings",
			"Both AK/SK credentials (access_key / OS_ACCESS_KEY, secret_key / OS_SECRET_KEY) and a password or token are set. "+
				"Use one way to log in and unset the other.")
	}
	if (s.Cert == "") != (s.Key == "") {
		diags.AddAttributeError(path.Root("cert"), "Incomplete client certificate",
			fmt.Sprintf("A client certificate needs both %s and %s.", source("cert"), source("key")))
	}

	signedWithOverride := aksk && s.Endpoints["vbs"] != ""
	if s.AuthURL != "" {
		if _, err := client.IdentityURL(s.AuthURL); err != nil {
			diags.AddAttributeError(path.Root("auth_url"), "Invalid Keystone URL",
				fmt.Sprintf("%s: %v.", source("auth_url"), err))
		}
	}
	if s.AuthURL == "" && !signedWithOverride {
		diags.AddAttributeError(path.Root("auth_url"), "Missing Keystone URL",
			"Set auth_url in the provider block or the OS_AUTH_URL environment variable to the Keystone v3 URL, "+
				"for example https://iam.eu-de.otc.t-systems.com/v3 (or name a clouds.yaml entry with cloud / OS_CLOUD).")
	}
	switch {
	case aksk:
		if s.AccessKey == "" || s.SecretKey == "" {
			diags.AddAttributeError(path.Root("secret_key"), "Incomplete AK/SK credentials",
				fmt.Sprintf("AK/SK signing needs both %s and %s.", source("access_key"), source("secret_key")))
		}
		if s.ProjectID == "" {
			diags.AddAttributeError(path.Root("project_id"), "Missing project ID",
				"AK/SK requests are scoped by project ID. Set project_id (or OS_PROJECT_ID); a project name is not enough here.")
		}
		return
	case s.SecurityToken != "":
		diags.AddAttributeError(path.Root("security_token"), "Security token without AK/SK",
			fmt.Sprintf("security_token (or OS_SECURITY_TOKEN) belongs to temporary AK/SK credentials; also set %s and %s.",
				source("access_key"), source("secret_key")))
	case s.Token != "":
	case s.UserID == "" && s.UserName == "":
		diags.AddAttributeError(path.Root("user_name"), "Missing credentials",
			"Set user_name (or OS_USERNAME) or user_id (or OS_USER_ID) together with password (or OS_PASSWORD); "+
				"or token (or OS_TOKEN); or access_key and secret_key (or OS_ACCESS_KEY and OS_SECRET_KEY).")
	case s.Password == "":
		diags.AddAttributeError(path.Root("password"), "Missing password",
			fmt.Sprintf("A user is set, but no password. Set %s.", source("password")))
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
}
