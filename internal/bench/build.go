package bench

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// WorkingTree names the module's working tree, uncommitted changes
// included, where BuildProviderAt takes a revision.
const WorkingTree = "HEAD"

// ResolveRevision returns the abbreviated commit that rev names in the
// repository at root; for WorkingTree, HEAD's, with "+dirty" when the
// working tree differs from it.
func ResolveRevision(ctx context.Context, root, rev string) (string, error) {
	out, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "--short", rev+"^{commit}").Output()
	if err != nil {
		return "", fmt.Errorf("git rev-parse %s: %w", rev, err)
	}
	commit := strings.TrimSpace(string(out))
	if rev == WorkingTree {
		if err := exec.CommandContext(ctx, "git", "-C", root, "diff", "--quiet", "HEAD").Run(); err != nil {
			commit += "+dirty"
		}
	}
	return commit, nil
}

// BuildProviderAt builds the main package pkg as it is at revision rev of
// the repository at root into out: the working tree itself for WorkingTree,
// else the revision's tree exported with git archive into a directory under
// scratch and built there. The module cache is shared, so an old revision
// builds without fetching anything the current one has.
func BuildProviderAt(ctx context.Context, root, rev, pkg, out, scratch string) error {
	if rev == WorkingTree {
		return BuildProvider(ctx, root, pkg, out)
	}
	src, err := os.MkdirTemp(scratch, "src-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(src)
	cmd := exec.CommandContext(ctx, "git", "-C", root, "archive", "--format=tar", rev)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	extractErr := extractTar(stdout, src)
	// Drain what a failed extraction left so that git can exit.
	_, _ = io.Copy(io.Discard, stdout)
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("git archive %s: %v\n%s", rev, err, stderr.String())
	}
	if extractErr != nil {
		return fmt.Errorf("git archive %s: %w", rev, extractErr)
	}
	return BuildProvider(ctx, src, pkg, out)
}

// extractTar writes the regular files, directories and symbolic links of a
// tar stream under dir, refusing any name that would leave it.
func extractTar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(h.Name)
		if filepath.IsAbs(name) || name == ".." || strings.HasPrefix(name, ".."+string(filepath.Separator)) {
			return fmt.Errorf("%q leaves the archive's directory", h.Name)
		}
		path := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(path, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, os.FileMode(h.Mode)&0o777|0o600)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			if err := os.Symlink(h.Linkname, path); err != nil {
				return err
			}
		}
	}
}
