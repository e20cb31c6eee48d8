package sharing

import "testing"

// keyOf tells IDs apart exactly as the strings do: a UUID in the API's
// form becomes its bytes, anything else stays itself, and no two IDs meet.
func TestKeyOfIsOneToOne(t *testing.T) {
	ids := []string{
		"ac0fb374-a288-4399-ac63-cc080a13a2ee", "ac0fb374-a288-4399-ac63-cc080a13a2ef", "bc0fb374-a288-4399-ac63-cc080a13a2ee",
		"00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff",
		"AC0FB374-A288-4399-AC63-CC080A13A2EE", "ac0fb374a288-4399-ac63-cc080a13a2ee-", "ac0fb374-a288-4399-ac63-cc080a13a2eg",
		"sharing-1", "0", "ac0fb374-a288-4399-ac63-cc080a13a2e",
	}
	seen := map[idKey]string{}
	for _, id := range ids {
		k := keyOf(id)
		if other, dup := seen[k]; dup {
			t.Errorf("keyOf(%q) == keyOf(%q)", id, other)
		}
		seen[k] = id
		if k != keyOf(id) {
			t.Errorf("keyOf(%q) differs between calls", id)
		}
	}
	for _, id := range ids[:5] {
		if k := keyOf(id); k.other != "" {
			t.Errorf("keyOf(%q) kept the string", id)
		}
	}
	if k := keyOf("ac0fb374-a288-4399-ac63-cc080a13a2ee"); k.uuid[0] != 0xac || k.uuid[15] != 0xee {
		t.Errorf("keyOf: bytes %x", k.uuid)
	}
}
