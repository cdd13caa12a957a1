package run

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// The harness runs as root and acts on what it finds in its run root and
// writes into its report directory. On a shared machine another local user
// could plant state there (a node.json naming a victim's cgroup) or a
// symlink (junit_01.xml -> /etc/shadow). The checks here make sure such a
// place belongs to the user running the harness and nobody else can change
// it; the writers here never follow a symlink.

// Ownership is who owns a file and what its mode allows: what the trust
// checks look at, apart from the filesystem so that they can be tested.
type Ownership struct {
	UID  uint32
	Mode fs.FileMode
}

// CheckPrivatePath checks path on disk with CheckPrivate against the
// effective user.
func CheckPrivatePath(path string, dir bool) error {
	o, err := ownershipOf(path)
	if err != nil {
		return err
	}
	return CheckPrivate(path, o, uint32(os.Geteuid()), dir)
}

// ownershipOf returns the ownership of path itself (a symlink is not
// followed).
func ownershipOf(path string) (Ownership, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return Ownership{}, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return Ownership{}, fmt.Errorf("%s: no owner information", path)
	}
	return Ownership{UID: st.Uid, Mode: fi.Mode()}, nil
}

// CheckPrivate reports why path may not be trusted as the harness's own
// state: it must be what want says (a directory or a regular file, never a
// symlink), owned by uid, and writable by its owner alone.
func CheckPrivate(path string, o Ownership, uid uint32, dir bool) error {
	switch {
	case o.Mode&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symlink", path)
	case dir && !o.Mode.IsDir():
		return fmt.Errorf("%s is not a directory", path)
	case !dir && !o.Mode.IsRegular():
		return fmt.Errorf("%s is not a regular file", path)
	case o.UID != uid:
		return fmt.Errorf("%s is owned by uid %d, not by uid %d who runs the harness", path, o.UID, uid)
	case o.Mode.Perm()&0o022 != 0:
		return fmt.Errorf("%s is writable by group or others (mode %s)", path, o.Mode.Perm())
	}
	return nil
}

// CheckAncestor reports why directory path may not hold trusted state: it
// must be owned by root or uid and writable by its owner alone, unless it
// has the sticky bit (as /tmp does), which keeps others from renaming or
// removing what the harness puts in it.
func CheckAncestor(path string, o Ownership, uid uint32) error {
	switch {
	case !o.Mode.IsDir():
		return fmt.Errorf("%s is not a directory", path)
	case o.UID != 0 && o.UID != uid:
		return fmt.Errorf("%s is owned by uid %d, neither root nor uid %d who runs the harness", path, o.UID, uid)
	case o.Mode.Perm()&0o022 != 0 && o.Mode&fs.ModeSticky == 0:
		return fmt.Errorf("%s is writable by group or others without the sticky bit (mode %s)", path, o.Mode.Perm())
	}
	return nil
}

// CheckOwnDir checks that dir (absolute) is a directory that belongs to the
// effective user and that nobody else can change it or the path to it:
// dir passes CheckPrivate, every existing ancestor CheckAncestor. A
// missing dir is no error when its existing ancestors pass (the harness
// will create it).
func CheckOwnDir(dir string) error {
	dir = filepath.Clean(dir)
	if !filepath.IsAbs(dir) {
		return fmt.Errorf("%s is not an absolute path", dir)
	}
	uid := uint32(os.Geteuid())
	o, err := ownershipOf(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	default:
		if err := CheckPrivate(dir, o, uid, true); err != nil {
			return err
		}
	}
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		o, err := ownershipOf(p)
		if err == nil {
			if o.Mode&fs.ModeSymlink != 0 {
				// Resolve a symlinked ancestor (/tmp -> /private/tmp) and
				// check where it leads instead.
				real, rerr := filepath.EvalSymlinks(p)
				if rerr != nil {
					return rerr
				}
				if o, err = ownershipOf(real); err == nil {
					err = CheckAncestor(real, o, uid)
				}
			} else {
				err = CheckAncestor(p, o, uid)
			}
			if err != nil {
				return err
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if p == "/" {
			return nil
		}
	}
}

// MkdirOwn creates dir and its missing parents with mode perm, then checks
// it with CheckOwnDir. It refuses a dir that exists but is not the user's
// own, rather than use it.
func MkdirOwn(dir string, perm fs.FileMode) error {
	if err := CheckOwnDir(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, perm); err != nil {
		return err
	}
	// Check again: a parent created above, or a race with another user
	// between the check and MkdirAll, must not go unnoticed.
	return CheckOwnDir(dir)
}

// CreateFile creates or truncates path for writing with mode perm, without
// following a symlink at path: a planted symlink makes it fail (ELOOP)
// instead of writing through it.
func CreateFile(path string, perm fs.FileMode) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_NOFOLLOW, perm)
}

// WriteFile writes b to path atomically with mode perm (see WriteFileFunc).
func WriteFile(path string, b []byte, perm fs.FileMode) error {
	return WriteFileFunc(path, perm, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// WriteFileFunc writes path atomically, with mode perm and the content
// write gives: a new file in path's directory (mode 0600 until perm is
// set, before write runs), synced to disk, then renamed over path, so that
// a reader sees the old content or the new, never a part, and a symlink at
// path is replaced, never followed. If write fails, path is left as it was.
func WriteFileFunc(path string, perm fs.FileMode, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	err = tmp.Chmod(perm)
	if err == nil {
		err = write(tmp)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
