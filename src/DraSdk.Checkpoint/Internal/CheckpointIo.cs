using System.Runtime.InteropServices;
using DraSdk.Internal;
using Microsoft.Win32.SafeHandles;

namespace DraSdk.Checkpoint.Internal;

/// <summary>
/// What a <c>stat</c> says about the checkpoint file: enough to tell, without reading it, whether it is still the
/// file a store last read or wrote. Writers replace the file by renaming a new one over it, so every save makes a
/// new inode; a store keeps the inode it last saw open (<see cref="FileSnapshot.Pin"/>), so that inode number
/// cannot be reused by a later file, and equal signatures then mean equal content.
/// </summary>
/// <param name="Device">The device holding the file (major in the high 32 bits); 0 when unknown.</param>
/// <param name="Inode">The inode number; 0 when unknown.</param>
/// <param name="Size">The length in bytes.</param>
/// <param name="ModifiedNs">Last data modification, nanoseconds since the epoch (or ticks when from <see cref="FileInfo"/>).</param>
/// <param name="ChangedNs">Last status change, nanoseconds since the epoch; 0 when unknown.</param>
/// <param name="HasIdentity">True when device and inode are known (Linux <c>statx</c>).</param>
internal sealed record FileSignature(ulong Device, ulong Inode, long Size, long ModifiedNs, long ChangedNs, bool HasIdentity);

internal enum SnapshotKind
{
    /// <summary>No regular file at the path (absent, or a directory or other non-file).</summary>
    Missing,

    /// <summary>The file was read (or opened, when content was not asked for).</summary>
    Content,

    /// <summary>The file is larger than the limit.</summary>
    TooLarge,

    /// <summary>The file exists but could not be read.</summary>
    Unreadable,
}

/// <summary>One look at the checkpoint file: its signature, its bytes, and a handle that pins its inode.</summary>
internal sealed class FileSnapshot : IDisposable
{
    public required SnapshotKind Kind { get; init; }

    public FileSignature? Signature { get; init; }

    public byte[]? Content { get; init; }

    public string? Detail { get; init; }

    /// <summary>An open read-only descriptor of the file that was read; null when none is kept.</summary>
    public SafeFileHandle? Pin { get; private set; }

    public static FileSnapshot Missing { get; } = new() { Kind = SnapshotKind.Missing };

    public void SetPin(SafeFileHandle? pin) => Pin = pin;

    /// <summary>Hands the pin to the caller, who must dispose it.</summary>
    public SafeFileHandle? TakePin()
    {
        SafeFileHandle? pin = Pin;
        Pin = null;
        return pin;
    }

    public void Dispose() => Pin?.Dispose();
}

/// <summary>File-system primitives for the checkpoint: cheap change detection, reading, and the cross-process lock.</summary>
internal static partial class CheckpointIo
{
    private const int StatxUnknown = 0;
    private const int StatxWorks = 1;
    private const int StatxUnavailable = -1;

    private static int s_statx = StatxUnknown;

    /// <summary>Stats <paramref name="path"/>; null when there is no regular file there (or it cannot be stat'ed).</summary>
    public static FileSignature? Stat(string path)
    {
        if (OperatingSystem.IsLinux() && TryStatx(Native.AT_FDCWD, path, 0, out FileSignature? signature, out _))
        {
            return signature;
        }

        return StatWithFileInfo(path);
    }

    /// <summary>
    /// Reads the file at <paramref name="path"/>: its signature, taken from the open descriptor so it describes
    /// exactly the bytes returned, and (when <paramref name="readContent"/>) its content. Never throws for I/O
    /// problems; they come back as <see cref="SnapshotKind.Unreadable"/>.
    /// </summary>
    public static FileSnapshot Read(string path, long maxSize, bool readContent = true)
    {
        try
        {
            return OperatingSystem.IsLinux() ? ReadLinux(path, maxSize, readContent) : ReadPortable(path, maxSize, readContent);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return FileSnapshot.Missing;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new FileSnapshot { Kind = SnapshotKind.Unreadable, Detail = ex.Message };
        }
    }

    private static FileSnapshot ReadLinux(string path, long maxSize, bool readContent)
    {
        int fd = Native.open(path, Native.O_RDONLY | Native.O_CLOEXEC, 0);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno is Native.ENOENT or Native.ENOTDIR
                ? FileSnapshot.Missing
                : new FileSnapshot { Kind = SnapshotKind.Unreadable, Detail = Marshal.GetPInvokeErrorMessage(errno) };
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            FileSignature? signature;
            bool isRegular;
            if (TryStatx(fd, string.Empty, Native.AT_EMPTY_PATH, out signature, out bool found))
            {
                isRegular = found;
            }
            else
            {
                signature = StatWithFileInfo(path);
                isRegular = signature is not null;
            }

            if (!isRegular || signature is null)
            {
                handle.Dispose();
                return FileSnapshot.Missing;
            }

            if (signature.Size > maxSize)
            {
                handle.Dispose();
                return new FileSnapshot
                {
                    Kind = SnapshotKind.TooLarge,
                    Signature = signature,
                    Detail = $"the file is {signature.Size} bytes; the limit is {maxSize}",
                };
            }

            byte[]? content = null;
            if (readContent)
            {
                content = ReadAll(handle, signature.Size, maxSize);
                if (content is null)
                {
                    handle.Dispose();
                    return new FileSnapshot { Kind = SnapshotKind.TooLarge, Signature = signature, Detail = $"the file grew past the limit of {maxSize} bytes" };
                }
            }

            var snapshot = new FileSnapshot { Kind = SnapshotKind.Content, Signature = signature, Content = content };
            if (signature.HasIdentity)
            {
                snapshot.SetPin(handle);
            }
            else
            {
                handle.Dispose();
            }

            return snapshot;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static FileSnapshot ReadPortable(string path, long maxSize, bool readContent)
    {
        FileSignature? signature = StatWithFileInfo(path);
        if (signature is null)
        {
            return FileSnapshot.Missing;
        }

        if (signature.Size > maxSize)
        {
            return new FileSnapshot { Kind = SnapshotKind.TooLarge, Signature = signature, Detail = $"the file is {signature.Size} bytes; the limit is {maxSize}" };
        }

        byte[]? content = readContent ? File.ReadAllBytes(path) : null;
        if (content is not null && content.LongLength > maxSize)
        {
            return new FileSnapshot { Kind = SnapshotKind.TooLarge, Signature = signature, Detail = $"the file grew past the limit of {maxSize} bytes" };
        }

        return new FileSnapshot { Kind = SnapshotKind.Content, Signature = signature, Content = content };
    }

    // Reads to the end; null when the file turns out larger than maxSize.
    private static byte[]? ReadAll(SafeFileHandle handle, long expected, long maxSize)
    {
        byte[] buffer = new byte[Math.Clamp(expected + 1, 256, Array.MaxLength)];
        int total = 0;
        while (true)
        {
            if (total == buffer.Length)
            {
                if (buffer.LongLength > maxSize)
                {
                    return null;
                }

                Array.Resize(ref buffer, (int)Math.Min(Array.MaxLength, buffer.LongLength * 2));
            }

            int read = RandomAccess.Read(handle, buffer.AsSpan(total), total);
            if (read == 0)
            {
                return total > maxSize ? null : buffer.AsSpan(0, total).ToArray();
            }

            total += read;
        }
    }

    private static FileSignature? StatWithFileInfo(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists ? new FileSignature(0, 0, info.Length, info.LastWriteTimeUtc.Ticks, 0, HasIdentity: false) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// <c>statx</c>, which has the same layout on every architecture. False when it is not available (old libc,
    /// a seccomp profile that refuses it); then callers fall back to <see cref="FileInfo"/>. When true,
    /// <paramref name="signature"/> is null unless a regular file was found.
    /// </summary>
    private static unsafe bool TryStatx(int dirFd, string path, int flags, out FileSignature? signature, out bool isRegularFile)
    {
        signature = null;
        isRegularFile = false;
        if (Volatile.Read(ref s_statx) == StatxUnavailable)
        {
            return false;
        }

        byte* buffer = stackalloc byte[Native.StatxSize];
        int rc;
        try
        {
            rc = Native.statx(dirFd, path, flags, Native.STATX_BASIC_STATS, buffer);
        }
        catch (EntryPointNotFoundException)
        {
            Volatile.Write(ref s_statx, StatxUnavailable);
            return false;
        }

        if (rc != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno is Native.ENOSYS or Native.EPERM)
            {
                Volatile.Write(ref s_statx, StatxUnavailable);
                return false;
            }

            // Missing, not a directory on the way, no permission: no usable file.
            return true;
        }

        Volatile.Write(ref s_statx, StatxWorks);
        var data = new ReadOnlySpan<byte>(buffer, Native.StatxSize);
        uint mask = MemoryMarshal.Read<uint>(data);
        ushort mode = MemoryMarshal.Read<ushort>(data[28..]);
        if ((mode & Native.S_IFMT) != Native.S_IFREG)
        {
            return true;
        }

        const uint IdentityMask = Native.STATX_INO | Native.STATX_SIZE | Native.STATX_MTIME | Native.STATX_CTIME;
        ulong inode = MemoryMarshal.Read<ulong>(data[32..]);
        long size = MemoryMarshal.Read<long>(data[40..]);
        long changed = (MemoryMarshal.Read<long>(data[96..]) * 1_000_000_000L) + MemoryMarshal.Read<uint>(data[104..]);
        long modified = (MemoryMarshal.Read<long>(data[112..]) * 1_000_000_000L) + MemoryMarshal.Read<uint>(data[120..]);
        ulong device = ((ulong)MemoryMarshal.Read<uint>(data[136..]) << 32) | MemoryMarshal.Read<uint>(data[140..]);
        isRegularFile = true;
        signature = new FileSignature(device, inode, size, modified, changed, HasIdentity: (mask & IdentityMask) == IdentityMask);
        return true;
    }

    /// <summary>
    /// Takes the exclusive cross-process lock on <paramref name="lockPath"/> (creating it if needed), polling with
    /// a short backoff. Returns an unheld lock, with the reason, when the file system cannot lock.
    /// </summary>
    /// <exception cref="IOException">Another holder kept the lock for longer than <paramref name="timeout"/>.</exception>
    public static CheckpointLock AcquireLock(string lockPath, UnixFileMode mode, TimeSpan timeout)
    {
        using var opener = new LockOpener(lockPath, mode);
        long started = Environment.TickCount64;
        int delayMs = 1;
        while (true)
        {
            if (opener.TryLock() is { } acquired)
            {
                return acquired;
            }

            ThrowIfTimedOut(lockPath, timeout, started);
            Thread.Sleep(delayMs);
            delayMs = Math.Min(delayMs * 2, 50);
        }
    }

    /// <inheritdoc cref="AcquireLock"/>
    public static async Task<CheckpointLock> AcquireLockAsync(string lockPath, UnixFileMode mode, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var opener = new LockOpener(lockPath, mode);
        long started = Environment.TickCount64;
        int delayMs = 1;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (opener.TryLock() is { } acquired)
            {
                return acquired;
            }

            ThrowIfTimedOut(lockPath, timeout, started);
            await Task.Delay(delayMs, cancellationToken).ConfigureAwait(false);
            delayMs = Math.Min(delayMs * 2, 50);
        }
    }

    private static void ThrowIfTimedOut(string lockPath, TimeSpan timeout, long started)
    {
        if (Environment.TickCount64 - started >= (long)timeout.TotalMilliseconds)
        {
            throw new IOException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for the checkpoint lock '{lockPath}': another process holds it.");
        }
    }

    /// <summary>One lock acquisition: keeps the lock file open between polls.</summary>
    private sealed class LockOpener(string path, UnixFileMode mode) : IDisposable
    {
        private FileLock? _lock;

        /// <summary>The lock when it was taken or cannot be had at all; null while another holder has it.</summary>
        public CheckpointLock? TryLock() => OperatingSystem.IsLinux() ? TryFlock() : TryExclusiveOpen();

        public void Dispose() => _lock?.Dispose();

        private CheckpointLock? TryFlock()
        {
            _lock ??= new FileLock(path, mode);
            switch (_lock.TryAcquire())
            {
                case FileLockState.Acquired:
                    var held = new CheckpointLock(_lock, null);
                    _lock = null;
                    return held;
                case FileLockState.Busy:
                    return null;
                default:
                    return CheckpointLock.Unavailable(_lock.Failure!);
            }
        }

        // Elsewhere an exclusive open is the lock (.NET takes flock(LOCK_EX) on Unix, a share-none open on Windows).
        private CheckpointLock? TryExclusiveOpen()
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = mode;
            }

            try
            {
                return new CheckpointLock(new FileStream(path, options), null);
            }
            catch (UnauthorizedAccessException ex)
            {
                return CheckpointLock.Unavailable(ex.Message);
            }
            catch (IOException)
            {
                return null;
            }
        }
    }

    private static partial class Native
    {
        internal const int O_RDONLY = 0;
        internal const int O_CREAT = 0x40;
        internal const int O_CLOEXEC = 0x80000;
        internal const int AT_FDCWD = -100;
        internal const int AT_EMPTY_PATH = 0x1000;
        internal const uint STATX_MTIME = 0x40;
        internal const uint STATX_CTIME = 0x80;
        internal const uint STATX_INO = 0x100;
        internal const uint STATX_SIZE = 0x200;
        internal const uint STATX_BASIC_STATS = 0x7ff;
        internal const int StatxSize = 256;
        internal const ushort S_IFMT = 0xF000;
        internal const ushort S_IFREG = 0x8000;
        internal const int EPERM = 1;
        internal const int ENOENT = 2;
        internal const int ENOTDIR = 20;
        internal const int ENOSYS = 38;

        // open(2) is variadic; on the Linux ABIs .NET supports the mode argument travels like a fixed one.
        [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        internal static partial int open(string path, int flags, int mode);

        [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        internal static unsafe partial int statx(int dirFd, string path, int flags, uint mask, byte* buffer);
    }
}

/// <summary>The cross-process checkpoint lock. Disposing it closes the lock file, which releases the lock.</summary>
internal sealed class CheckpointLock : IDisposable
{
    private readonly IDisposable? _handle;

    internal CheckpointLock(IDisposable? handle, string? unavailableReason)
    {
        _handle = handle;
        UnavailableReason = unavailableReason;
    }

    /// <summary>True when the lock is held; false when the file system could not lock (see <see cref="UnavailableReason"/>).</summary>
    public bool IsHeld => _handle is not null;

    public string? UnavailableReason { get; }

    public static CheckpointLock Unavailable(string reason) => new(null, reason);

    public void Dispose() => _handle?.Dispose();
}
