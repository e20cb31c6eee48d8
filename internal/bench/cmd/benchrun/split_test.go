package main

import "testing"

// Each sample goes to whose code it is in; detachingServer, which only
// passes RPCs on, makes no sample ours.
func TestOwner(t *testing.T) {
	const (
		fw     = "github.com/hashicorp/terraform-plugin-framework/"
		ours   = "github.com/vbs-tf/terraform-provider-vbs/internal/"
		detach = ours + "provider.detachingServer.ReadDataSource"
		grpc   = "google.golang.org/grpc.(*Server).handleStream"
	)
	for _, c := range []struct {
		stack     []string // innermost first
		who, what string
	}{
		{[]string{"runtime.mallocgc", fw + "internal/fwschemadata.(*Data).ReifyNullCollectionBlocks", fw + "internal/toproto6.State",
			fw + "internal/proto6server.(*Server).ReadDataSource", detach, grpc}, whoFramework, "(a) ReifyNullCollectionBlocks"},
		{[]string{"github.com/hashicorp/terraform-plugin-go/tftypes.Value.Equal", fw + "internal/fwserver.(*Server).ReadDataSource", detach, grpc},
			whoFramework, "(c') tftypes.Value.Equal after semantic equality"},
		{[]string{fw + "types/basetypes.ObjectValue.ToTerraformValue", fw + "tfsdk.(*State).Set", ours + "provider.(*backupSharingsDataSourceModel).set",
			ours + "provider.(*backupSharingsDataSource).Read", fw + "internal/fwserver.(*Server).ReadDataSource", detach, grpc},
			whoCalled, "State.Set / Identity.Set: our values converted to tftypes"},
		{[]string{"runtime.mallocgc", ours + "provider.setObject", ours + "provider.(*backupSharingsDataSourceModel).set",
			fw + "internal/fwserver.(*Server).ReadDataSource", detach, grpc}, whoOurs, "state builders"},
		{[]string{"encoding/json.(*decodeState).object", ours + "vbs/sharing.ListEach", ours + "provider.(*backupSharingsDataSource).Read"},
			whoOurs, "requests: client, transport, HTTP, JSON"},
		{[]string{"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server.(*server).ReadDataSource", grpc}, whoPlugin, ""},
		{[]string{"runtime.gcDrain", "runtime.gcBgMarkWorker"}, whoRuntime, ""},
	} {
		if who, what := owner(c.stack); who != c.who || what != c.what {
			t.Errorf("owner(%s…) = %q, %q; want %q, %q", c.stack[0], who, what, c.who, c.what)
		}
	}
}
