package vbs

import (
	"testing"
	"time"
)

func TestParseTimestamp(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2017-08-16T07:24:24.786297", time.Date(2017, 8, 16, 7, 24, 24, 786297000, time.UTC)},
		{"2017-08-08T04:03:27.000000", time.Date(2017, 8, 8, 4, 3, 27, 0, time.UTC)},
		{"2017-08-08T04:03:27", time.Date(2017, 8, 8, 4, 3, 27, 0, time.UTC)},
		{"2016-01-28T16:14:09.466Z", time.Date(2016, 1, 28, 16, 14, 9, 466000000, time.UTC)},
		{"2016-01-28T16:14:09Z", time.Date(2016, 1, 28, 16, 14, 9, 0, time.UTC)},
		{"2016-01-28T18:14:09.5+02:00", time.Date(2016, 1, 28, 16, 14, 9, 500000000, time.UTC)},
		{"2016-01-28T18:14:09+0200", time.Date(2016, 1, 28, 16, 14, 9, 0, time.UTC)},
		{"2016-01-28 16:14:09.123", time.Date(2016, 1, 28, 16, 14, 9, 123000000, time.UTC)},
		{" 2016-01-28T16:14:09 ", time.Date(2016, 1, 28, 16, 14, 9, 0, time.UTC)},
	}
	for _, tt := range tests {
		got, err := ParseTimestamp(tt.in)
		if err != nil {
			t.Errorf("ParseTimestamp(%q): %v", tt.in, err)
			continue
		}
		if !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("ParseTimestamp(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseTimestampRejects(t *testing.T) {
	for _, in := range []string{"", "   ", "yesterday", "2017-08-16", "1700000000"} {
		if got, err := ParseTimestamp(in); err == nil {
			t.Errorf("ParseTimestamp(%q) = %v, want an error", in, got)
		}
	}
}
