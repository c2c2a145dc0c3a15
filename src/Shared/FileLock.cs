// Shared source, compiled into each package that needs it (linked, internal): the one cross-process file lock of the
// SDK, an exclusive flock(2) as the Go helper (and so every Go driver) takes it on the same files.
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace DraSdk.Internal;

/// <summary>What <see cref="FileLock.TryAcquire"/> found.</summary>
internal enum FileLockState
{
    /// <summary>The lock is held by this instance.</summary>
    Acquired,

    /// <summary>Another holder has it; try again later.</summary>
    Busy,

    /// <summary>The file cannot be opened or locked at all (<see cref="FileLock.Failure"/> says why).</summary>
    Failed,
}

/// <summary>
/// An exclusive <c>flock</c> on a lock file, through a raw descriptor: a <c>FileStream</c> would take a shared flock of
/// its own on Unix, which conflicts with the exclusive one another process holds. The file stays open between
/// acquisitions; closing it (<see cref="Dispose"/>) releases the lock too. Linux only.
/// </summary>
internal sealed partial class FileLock(string path, UnixFileMode mode) : IDisposable
{
    private SafeFileHandle? _fd;

    /// <summary>The lock file.</summary>
    public string Path { get; } = path;

    /// <summary>Why the last <see cref="TryAcquire"/> failed.</summary>
    public string? Failure { get; private set; }

    /// <summary>Opens the file (creating it and its directory) if it is not open, and takes the lock without waiting.</summary>
    public FileLockState TryAcquire()
    {
        if (_fd is null)
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            int fd = open(Path, O_RDONLY | O_CREAT | O_CLOEXEC, (int)mode);
            if (fd < 0)
            {
                Failure = $"cannot open the lock file {Path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}";
                return FileLockState.Failed;
            }

            _fd = new SafeFileHandle(fd, ownsHandle: true);
        }

        while (true)
        {
            if (flock((int)_fd.DangerousGetHandle(), LOCK_EX | LOCK_NB) == 0)
            {
                return FileLockState.Acquired;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == EINTR)
            {
                continue;
            }

            if (errno == EAGAIN)
            {
                return FileLockState.Busy;
            }

            Failure = $"cannot lock {Path}: flock failed: {Marshal.GetPInvokeErrorMessage(errno)}";
            return FileLockState.Failed;
        }
    }

    /// <summary>Releases the lock and keeps the file open for the next acquisition.</summary>
    public void Release()
    {
        if (_fd is not null)
        {
            _ = flock((int)_fd.DangerousGetHandle(), LOCK_UN);
        }
    }

    /// <summary>Closes the file, which releases the lock.</summary>
    public void Dispose()
    {
        _fd?.Dispose();
        _fd = null;
    }

    private const int O_RDONLY = 0;
    private const int O_CREAT = 0x40;
    private const int O_CLOEXEC = 0x80000;
    private const int LOCK_EX = 2;
    private const int LOCK_NB = 4;
    private const int LOCK_UN = 8;
    private const int EINTR = 4;
    private const int EAGAIN = 11;

    // open(2) is variadic; on the Linux ABIs .NET supports the mode argument travels like a fixed one.
    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int flock(int fd, int operation);
}
