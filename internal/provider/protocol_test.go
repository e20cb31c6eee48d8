package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
)

// Helpers for tests that talk to NewServer's protocol 6 server directly, as
// Terraform does, without the CLI.

// dynamicValue is an object of schema's type with the given attributes set
// and every other attribute null.
func dynamicValue(t testing.TB, schema *tfprotov6.Schema, set map[string]string) *tfprotov6.DynamicValue {
	t.Helper()
	objectType, ok := schema.ValueType().(tftypes.Object)
	if !ok {
		t.Fatalf("schema type %T", schema.ValueType())
	}
	values := map[string]tftypes.Value{}
	for name, typ := range objectType.AttributeTypes {
		values[name] = tftypes.NewValue(typ, nil)
	}
	for name, v := range set {
		values[name] = tftypes.NewValue(tftypes.String, v)
	}
	dv, err := tfprotov6.NewDynamicValue(objectType, tftypes.NewValue(objectType, values))
	if err != nil {
		t.Fatal(err)
	}
	return &dv
}

// startPlainCloud starts a fake cloud over plain HTTP that accepts any
// login to the test project, with VBS in its catalog, as adjust leaves it.
func startPlainCloud(t testing.TB, adjust func(*fakecloud.Config)) *fakecloud.Cloud {
	t.Helper()
	cfg := fakecloud.Default
	cfg.PlainHTTP, cfg.AnyLogin, cfg.ProjectID = true, true, testProjectID
	cfg.Catalog = []fakecloud.Service{{Type: "vbsv2", Name: "vbs", Label: "vbs", Path: "/v2/" + testProjectID}}
	adjust(&cfg)
	cloud, err := fakecloud.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cloud.Close)
	return cloud
}

// configuredServer starts a fake cloud over plain HTTP that accepts any
// login and answers routes, set up further by adjust, and returns
// NewServer's server configured for it, with the schemas it reported.
func configuredServer(t testing.TB, routes []fakecloud.Route, adjust ...func(*fakecloud.Config)) (tfprotov6.ProviderServer, *tfprotov6.GetProviderSchemaResponse, *fakecloud.Cloud) {
	t.Helper()
	cloud := startPlainCloud(t, func(cfg *fakecloud.Config) {
		cfg.Routes = routes
		for _, a := range adjust {
			a(cfg)
		}
	})
	server, schemas := configure(t, NewServer("test")(), cloud)
	return server, schemas, cloud
}

// configure configures server for cloud, as configuredServer does, and
// returns it with the schemas it reported.
func configure(t testing.TB, server tfprotov6.ProviderServer, cloud *fakecloud.Cloud) (tfprotov6.ProviderServer, *tfprotov6.GetProviderSchemaResponse) {
	t.Helper()
	ctx := context.Background()
	schemas, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	configured, err := server.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{
		TerraformVersion: "1.14.9",
		Config: dynamicValue(t, schemas.Provider, map[string]string{
			"auth_url": cloud.AuthURL(), "user_name": testUserName, "password": "x", "domain_name": testDomainName, "project_id": testProjectID,
		}),
	})
	if err != nil || len(configured.Diagnostics) != 0 {
		t.Fatalf("configure: %v %v", err, configured.Diagnostics)
	}
	return server, schemas
}
