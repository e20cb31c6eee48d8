package client

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"
)

// vbsEndpoint finds the VBS v2 endpoint, ending in /v2/{project_id}/, in this
// order: the `endpoints` override, catalog type vbsv2, catalog type vbs, and
// catalog type volumev2 with its host's "evs" label turned into "vbs" (EVS
// and VBS share a URL scheme on Open Telekom Cloud, which lists only EVS).
func vbsEndpoint(s Settings, catalog *tokens.ServiceCatalog, projectID string) (string, error) {
	if override, ok := s.Endpoints["vbs"]; ok && override != "" {
		return gophercloud.NormalizeURL(strings.ReplaceAll(override, "{project_id}", projectID)), nil
	}
	for _, serviceType := range []string{"vbsv2", "vbs"} {
		if u := catalogURL(catalog, serviceType, s.Region); u != "" {
			return gophercloud.NormalizeURL(u), nil
		}
	}
	if u := catalogURL(catalog, "volumev2", s.Region); u != "" {
		rewritten, ok := evsToVBS(u)
		if !ok {
			return "", fmt.Errorf("%w: the service catalog has no vbsv2 or vbs entry, and its volumev2 endpoint %s has no \"evs\" host label to turn into \"vbs\"; set the VBS endpoint with endpoints = { vbs = \"https://vbs.<region>.<domain>/v2/{project_id}\" } in the provider block", ErrNoEndpoint, u)
		}
		return gophercloud.NormalizeURL(rewritten), nil
	}
	region := ""
	if s.Region != "" {
		region = fmt.Sprintf(" in region %q (region / OS_REGION_NAME)", s.Region)
	}
	return "", fmt.Errorf("%w: the service catalog has no public vbsv2, vbs or volumev2 endpoint%s; set the VBS endpoint with endpoints = { vbs = \"https://vbs.<region>.<domain>/v2/{project_id}\" } in the provider block", ErrNoEndpoint, region)
}

// catalogURL returns the first public endpoint of a service type, in the
// region when one is set.
func catalogURL(catalog *tokens.ServiceCatalog, serviceType, region string) string {
	if catalog == nil {
		return ""
	}
	for _, entry := range catalog.Entries {
		if entry.Type != serviceType {
			continue
		}
		for _, ep := range entry.Endpoints {
			if ep.Interface != "public" {
				continue
			}
			if region != "" && ep.Region != region && ep.RegionID != region {
				continue
			}
			return ep.URL
		}
	}
	return ""
}

// evsToVBS replaces the host label "evs" by "vbs". Only a whole label
// counts, so a host such as "devs.example" is left alone.
func evsToVBS(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" || net.ParseIP(u.Hostname()) != nil {
		return "", false
	}
	labels := strings.Split(u.Hostname(), ".")
	for i, label := range labels {
		if strings.EqualFold(label, "evs") {
			labels[i] = "vbs"
			host := strings.Join(labels, ".")
			if port := u.Port(); port != "" {
				host = net.JoinHostPort(host, port)
			}
			u.Host = host
			return u.String(), true
		}
	}
	return "", false
}
