package vbs

import (
	"fmt"
	"strings"
	"time"
)

// timestampLayouts cover what VBS APIs have been seen to send. The sharing
// API writes microseconds and no zone ("2017-08-16T07:24:24.786297"); the
// job API adds milliseconds and "Z". Go accepts any fraction, or none, after
// the seconds when parsing, so the layouts only differ in the zone part.
var timestampLayouts = []string{
	"2006-01-02T15:04:05",
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04:05Z07:00",
}

// ParseTimestamp reads a VBS timestamp with or without fractional seconds
// and with or without a zone. A timestamp without a zone is taken as UTC,
// which is what the service means and what gophertelekomcloud assumes. The
// result is always in UTC so that equal instants compare and print alike.
//
// Terraform attributes keep the API's raw string; this is for code that
// needs to compare or reformat the instant.
func ParseTimestamp(s string) (time.Time, error) {
	trimmed := strings.TrimSpace(s)
	if trimmed == "" {
		return time.Time{}, fmt.Errorf("parsing timestamp: empty string")
	}
	for _, layout := range timestampLayouts {
		if t, err := time.Parse(layout, trimmed); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("parsing timestamp %q: want a form like 2006-01-02T15:04:05.999999, optionally followed by Z or a UTC offset", s)
}
