// Package vbs holds what every Volume Backup Service (VBS) client package in
// this provider shares: turning failed HTTP responses into errors that carry
// the API's own error code, message and request ID, and reading the
// service's zone-less timestamps.
//
// The operations themselves live in sub-packages, one per API resource, in
// the shape of gophercloud's service packages (see package sharing).
package vbs
