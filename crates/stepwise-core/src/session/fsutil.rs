//! Private files and folders: created 0700/0600 at creation, never chmod'ed
//! afterwards, and written atomically where a reader must never see half.
//! Files in a session folder are opened without following a symbolic link
//! (`O_NOFOLLOW`): a link planted there is refused, never written through.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

/// Creates a folder (and its parents) with mode 0700.
pub fn create_private_dir(path: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(path)
}

/// Creates a new file with mode 0600; fails if it exists (a symbolic
/// link included).
pub fn create_private_file(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| no_follow_error(path, e))
}

/// Makes a new file (0600) in `dir` without a name (`O_TMPFILE`): its
/// inode is allocated now, while nobody waits; [`name_unnamed`] names it
/// later. Dropped unnamed, it is gone.
pub fn create_unnamed(dir: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .mode(0o600)
        .custom_flags(nix::libc::O_TMPFILE)
        .open(dir)
}

/// Names a file made by [`create_unnamed`] `path` (in the same folder or
/// another of the same file system): as [`create_private_file`], it fails
/// when the name exists, a symbolic link included.
pub fn name_unnamed(file: &File, path: &Path) -> io::Result<()> {
    use nix::fcntl::{AT_FDCWD, AtFlags};
    use std::os::fd::AsRawFd;
    // `/proc/self/fd/N` is followed to the file (the only link followed:
    // `path` never is, and an existing `path` fails with EEXIST).
    let from = format!("/proc/self/fd/{}", file.as_raw_fd());
    let follow = AtFlags::AT_SYMLINK_FOLLOW;
    nix::unistd::linkat(AT_FDCWD, from.as_str(), AT_FDCWD, path, follow).map_err(io::Error::from)
}

/// Opens a file for appending, creating it 0600 if missing; refuses a
/// symbolic link.
pub fn open_private_append(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| no_follow_error(path, e))
}

/// Options that open a file read/write, created 0600 if missing, never
/// through a symbolic link.
pub fn private_read_write() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW);
    o
}

/// Reads a whole file, refusing a symbolic link.
pub fn read_no_follow(path: &Path) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut file = open_no_follow(path)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Opens a file for reading, refusing a symbolic link (as
/// [`read_no_follow`]), to read it in parts.
pub fn open_no_follow(path: &Path) -> io::Result<std::fs::File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| no_follow_error(path, e))
}

/// `ELOOP` from an `O_NOFOLLOW` open, said for people: what the path is
/// and what to do.
pub fn no_follow_error(path: &Path, e: io::Error) -> io::Error {
    if e.raw_os_error() != Some(nix::libc::ELOOP) {
        return e;
    }
    let target = std::fs::read_link(path)
        .map(|t| format!(" (it points to {})", t.display()))
        .unwrap_or_default();
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "{} is a symbolic link{target}; stepwise never follows one in a session folder. \
             Remove it (`rm {}`) if you did not make it, and check who else can write there",
            path.display(),
            path.display()
        ),
    )
}

/// Writes `bytes` to `path` atomically: a temporary file (0600) in the same
/// folder, fsync, rename over the target, fsync of the folder. A bare file
/// name (`incident.html`) is in the current folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_with(path, |out| out.write_all(bytes))
}

/// [`write_atomic`] for what is written in pieces (`write`): nothing
/// reaches `path` unless every piece was written; the text need never be
/// whole in memory.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let dir = parent_dir(path);
    let mut tmp = tempfile::Builder::new()
        .prefix(".stepwise-")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .tempfile_in(dir)?;
    {
        let mut out = io::BufWriter::with_capacity(256 * 1024, tmp.as_file_mut());
        write(&mut out)?;
        out.flush()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)
}

/// The folder a path is in: `.` for a bare file name, whose `parent()` is
/// the empty path (which no system call accepts).
pub fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// fsyncs a folder so a rename or a new file in it survives a crash.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// A lowercase hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
