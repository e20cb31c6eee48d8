package provider

import (
	"os"
	"testing"
)

func TestQuietLogsOnlyWithoutLogVariables(t *testing.T) {
	for _, name := range logVariables {
		t.Setenv(name, "")
	}
	QuietLogs()
	for _, name := range quietVariables {
		if got := os.Getenv(name); got != "off" {
			t.Errorf("without log variables: %s=%q, want off", name, got)
		}
	}
	for _, name := range []string{"TF_LOG", "TF_LOG_PROVIDER"} {
		if got := os.Getenv(name); got != "" {
			t.Errorf("%s=%q: QuietLogs must not set Terraform's own variables", name, got)
		}
	}

	for _, set := range logVariables {
		for _, name := range logVariables {
			t.Setenv(name, "")
		}
		t.Setenv(set, "DEBUG")
		QuietLogs()
		for _, name := range logVariables {
			if name != set && os.Getenv(name) != "" {
				t.Errorf("with %s set: %s=%q, want it left unset", set, name, os.Getenv(name))
			}
		}
	}
}
