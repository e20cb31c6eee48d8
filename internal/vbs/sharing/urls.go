package sharing

import (
	"net/url"

	"github.com/gophercloud/gophercloud/v2"
)

// resourcePath is relative to the service client's base, which already ends
// in /v2/{project_id}/.
const resourcePath = "os-vendor-backup-sharing"

func rootURL(c *gophercloud.ServiceClient) string {
	return c.ServiceURL(resourcePath)
}

// resourceURL escapes the ID because it comes from user configuration, and a
// stray "/" or "?" must not turn a call on one sharing into a call on
// another path.
func resourceURL(c *gophercloud.ServiceClient, id string) string {
	return c.ServiceURL(resourcePath, url.PathEscape(id))
}

func listURL(c *gophercloud.ServiceClient) string {
	return c.ServiceURL(resourcePath, "detail")
}

func countURL(c *gophercloud.ServiceClient) string {
	return c.ServiceURL(resourcePath, "count")
}
