package provider

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/vbs-tf/terraform-provider-vbs/internal/bench"
	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
)

// The chaos tests run the real CLI against a fake cloud that misbehaves
// the way a gateway under load does: a tenth of the logins and VBS calls
// meet a fault, dealt in turn from every kind (429 with Retry-After, 503,
// 502 with an HTML page, a reset connection, a body cut off half way), and
// tokens expire after a number of uses. The faults are seeded; nothing is
// timed. make chaos runs a larger version and reports the figures
// (RELIABILITY.md).

const (
	chaosFaultRate = 0.10
	// chaosTokenUses lets a token serve this many requests before the
	// gateway refuses it as expired.
	chaosTokenUses = 40
)

// chaosSeeds are the runs TestChaos makes: a fixed list, so a
// failure is reproduced by its seed.
var chaosSeeds = []uint64{1, 2, 3, 4, 5}

// chaosCloud starts the misbehaving cloud with n synthetic sharings,
// sharing a backup twice if asked, and returns it with a provider block.
func chaosCloud(t *testing.T, seed uint64, n int, lostAnswerRate float64) (*fakecloud.Cloud, string) {
	t.Helper()
	return startCLICloud(t, func(cfg *fakecloud.Config) {
		cfg.Sharings = fakecloud.Synthetic(testProjectID, n)
		cfg.AllowDuplicateSharings = true
		cfg.DistinctTokens, cfg.TokenUses = true, chaosTokenUses
		cfg.Faults = fakecloud.Misbehaving(seed, chaosFaultRate, lostAnswerRate)
	})
}

// wantEveryFaultKind fails unless the cloud dealt every kind of fault.
func wantEveryFaultKind(t *testing.T, cloud *fakecloud.Cloud) {
	t.Helper()
	counts := cloud.Counts()
	for _, kind := range fakecloud.FaultKinds {
		if counts[kind.Count()] == 0 {
			t.Errorf("no %s fault was dealt: %v", kind, counts)
		}
	}
}

// The chaos test: for each seed, through the real CLI against one cloud
// that deals every kind of fault to a tenth of the calls and expires
// tokens every 40 uses, with real backoff and nothing timed:
//
//   - reads: a plan of 200 vbs_backup_sharing data sources and a listing of
//     the 200 sharings; no read fails (the output's preconditions check
//     that every read brought its own sharing and the listing each once);
//   - writes: an apply of 20 sharings, then a destroy, with half the
//     creates and deletes no fault hit carried out and their answers lost,
//     on a cloud that would share a backup twice if asked: after the apply
//     the cloud and the state hold the same sharings, once each, the next
//     plan is empty, and the destroy leaves none.
//
// make chaos runs it larger and reports the figures (RELIABILITY.md).
func TestChaos(t *testing.T) {
	const reads, writes = 200, 20
	for _, seed := range chaosSeeds {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			cloud, provider := chaosCloud(t, seed, reads, 0.5)

			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					// A plan, not an apply: an apply would only read
					// everything again.
					Config: provider + bench.CheckedReadsConfig(reads), PlanOnly: true,
					ExpectNonEmptyPlan: true, // the output
				}},
			})
			counts := cloud.Counts()
			wantEveryFaultKind(t, cloud)
			faults := int64(0)
			for _, kind := range fakecloud.FaultKinds {
				faults += counts[kind.Count()]
			}
			if faults*20 < counts[fakecloud.CountRequests] {
				t.Errorf("reads: %d faults in %d requests, want about a tenth", faults, counts[fakecloud.CountRequests])
			}
			// Every expiry costs one login, and every provider process
			// one to begin with; a faulted login is sent again.
			if counts[fakecloud.CountTokenExpired] == 0 {
				t.Error("reads: no token expired")
			}
			if limit := 3*counts[fakecloud.CountTokenExpired] + 10; counts[fakecloud.KindToken] > limit {
				t.Errorf("reads: %d logins for %d token expiries, want at most %d", counts[fakecloud.KindToken], counts[fakecloud.CountTokenExpired], limit)
			}
			t.Logf("reads: %d sharing GETs, %d list pages, %d counts, %d logins, %d tokens expired; faults: %s", counts[fakecloud.KindSharingGet],
				counts[fakecloud.KindListPage], counts[fakecloud.KindCount], counts[fakecloud.KindToken], counts[fakecloud.CountTokenExpired], faultCounts(counts))

			cloud.ResetCounts()
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{
					{
						Config:            chaosSharingsConfig(provider, writes),
						ConfigStateChecks: []statecheck.StateCheck{cloudAgrees{cloud: cloud, synthetic: reads, want: writes}},
					},
					{
						Config:   chaosSharingsConfig(provider, writes),
						PlanOnly: true,
					},
				},
				CheckDestroy: func(*terraform.State) error {
					if left := cloud.SharingIDs()[reads:]; len(left) != 0 {
						return fmt.Errorf("destroy left %d sharings in the cloud: %v", len(left), left)
					}
					return nil
				},
			})
			counts = cloud.Counts()
			if lost := counts[fakecloud.CountLostAnswerCreate]; lost*5 < writes {
				t.Errorf("writes: %d of %d creates lost their answers, want at least 20 %%", lost, writes)
			}
			if lost := counts[fakecloud.CountLostAnswerDelete]; lost*5 < writes {
				t.Errorf("writes: %d of %d deletes lost their answers, want at least 20 %%", lost, writes)
			}
			t.Logf("writes: %d POSTs, %d DELETEs, %d list pages, %d logins; faults: %s", counts[fakecloud.KindCreate], counts[fakecloud.KindDelete],
				counts[fakecloud.KindListPage], counts[fakecloud.KindToken], faultCounts(counts))
		})
	}
}

// faultCounts are the fault counters of counts, for a log line.
func faultCounts(counts map[string]int64) string {
	var parts []string
	for _, kind := range fakecloud.FaultKinds {
		parts = append(parts, fmt.Sprintf("%s %d", kind, counts[kind.Count()]))
	}
	parts = append(parts, fmt.Sprintf("lost create answers %d, lost delete answers %d",
		counts[fakecloud.CountLostAnswerCreate], counts[fakecloud.CountLostAnswerDelete]))
	return strings.Join(parts, ", ")
}

// chaosSharingsConfig shares synthetic backups 0 to n-1, each with a project
// of its own that no synthetic sharing uses.
func chaosSharingsConfig(provider string, n int) string {
	return provider + fmt.Sprintf(`
resource "vbs_backup_sharing" "s" {
  count         = %d
  backup_id     = format("%%08x-0000-4000-9000-%%012x", count.index, count.index)
  to_project_id = format("bbbbbbbbbbbbbbbbbbbbbbbbbbbb%%04x", count.index)
}
`, n)
}

// cloudAgrees checks that the sharings the state holds are exactly the
// sharings the cloud holds beyond the synthetic ones it started with: none
// orphaned, none made twice.
type cloudAgrees struct {
	cloud     *fakecloud.Cloud
	synthetic int
	want      int
}

func (c cloudAgrees) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	var inState []string
	if req.State != nil && req.State.Values != nil && req.State.Values.RootModule != nil {
		for _, r := range req.State.Values.RootModule.Resources {
			if r.Type == "vbs_backup_sharing" {
				id, _ := r.AttributeValues["id"].(string)
				inState = append(inState, id)
			}
		}
	}
	inCloud := c.cloud.SharingIDs()[c.synthetic:]
	slices.Sort(inState)
	slices.Sort(inCloud)
	if len(inState) != c.want || !slices.Equal(inState, inCloud) {
		resp.Error = fmt.Errorf("the state holds %d sharings and the cloud %d beyond its own, want %d in both, the same:\n  state: %v\n  cloud: %v",
			len(inState), len(inCloud), c.want, inState, inCloud)
	}
}

// loseEveryCreateAnswer carries every create out and loses its answer.
func loseEveryCreateAnswer(cfg *fakecloud.Config) {
	cfg.Faults = &fakecloud.Faults{MaxConsecutive: -1, Rules: []fakecloud.FaultRule{{
		Requests: []string{fakecloud.KindCreate}, Kinds: []fakecloud.FaultKind{fakecloud.FaultLostAnswer}, Rate: 1,
	}}}
}

// oneSharingConfig shares synthetic backup 0 with the project to.
func oneSharingConfig(provider, to string) string {
	return provider + fmt.Sprintf(`
resource "vbs_backup_sharing" "s" {
  backup_id     = %q
  to_project_id = %q
}
`, fakecloud.BackupID(0), to)
}

// On a cloud that allows duplicates, a sharing of the pair made outside
// Terraform and this create's answer lost after it was carried out: the
// lookup finds two, and the error names both; neither goes into the state.
func TestLostCreate_severalMatchesNamed(t *testing.T) {
	cloud, provider := startCLICloud(t, func(cfg *fakecloud.Config) {
		cfg.Sharings = fakecloud.Synthetic(testProjectID, 1) // sharing 0: backup 0 to its own project
		cfg.AllowDuplicateSharings = true
		loseEveryCreateAnswer(cfg)
	})
	existing := cloud.SharingIDs()[0]
	uuid := `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      oneSharingConfig(provider, fakecloud.TargetProject(0)),
			ExpectError: regexp.MustCompile(`(?s)shared\s+with\s+project\s+\S+\s+2\s+times.*(` + existing + `\s+` + uuid + `|` + uuid + `\s+` + existing + `)`),
		}},
	})
	if ids := cloud.SharingIDs(); len(ids) != 2 {
		t.Errorf("the cloud holds %v, want the existing sharing and the one the create made", ids)
	}
}

// A create whose answer was lost, and whose lookups keep failing (every
// listing page answers 503): the apply fails saying the sharing may exist
// and how to find it, and nothing goes into the state.
func TestLostCreate_failedLookupSaysItMayExist(t *testing.T) {
	cloud, provider := startCLICloud(t, func(cfg *fakecloud.Config) {
		cfg.Sharings = fakecloud.Synthetic(testProjectID, 1)
		loseEveryCreateAnswer(cfg)
		cfg.Faults.Rules = append(cfg.Faults.Rules, fakecloud.FaultRule{
			Requests: []string{fakecloud.KindListPage}, Kinds: []fakecloud.FaultKind{fakecloud.FaultUnavailable}, Rate: 1,
		})
	})
	provider = strings.Replace(provider, "password    = \"fake-cloud-password\"", "password    = \"fake-cloud-password\"\n  max_retries = 1", 1)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      oneSharingConfig(provider, "bbbbbbbbbbbbbbbbbbbbbbbbbbbb0001"),
				ExpectError: regexp.MustCompile(`(?s)may\s+have\s+succeeded.*vbs_backup_sharings.*terraform\s+query`),
			},
			{
				// Nothing went into the state: the plan would create it.
				Config:             oneSharingConfig(provider, "bbbbbbbbbbbbbbbbbbbbbbbbbbbb0001"),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
		},
	})
	if ids := cloud.SharingIDs(); len(ids) != 2 {
		t.Errorf("the cloud holds %v, want the synthetic sharing and the one the create made", ids)
	}
	if n := cloud.Counts()[fakecloud.KindCreate]; n != 1 {
		t.Errorf("%d POSTs, want 1: a create that may have been made is not sent again", n)
	}
}
