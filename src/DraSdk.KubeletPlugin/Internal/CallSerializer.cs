using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;

namespace DraSdk.KubeletPlugin.Internal;

/// <summary>
/// Runs prepare and unprepare one at a time: an in-process lock, plus an exclusive flock on
/// <c>serialize.lock</c> when several instances of the driver may run at once (rolling update).
/// </summary>
internal sealed partial class CallSerializer : IDisposable
{
    private readonly SemaphoreSlim _local = new(1, 1);
    private readonly bool _enabled;
    private readonly string? _lockFilePath;
    private int _lockFd = -1;

    public CallSerializer(IOptions<DraDriverOptions> options)
    {
        DraDriverOptions o = options.Value;
        _enabled = o.SerializeCalls;
        if (_enabled && (!string.IsNullOrEmpty(o.PodUid) || o.LockDirectoryPath is not null))
        {
            _lockFilePath = Path.Combine(o.LockDirectoryPath ?? o.EffectivePluginDataDirectoryPath, "serialize.lock");
        }
    }

    /// <summary>The cross-instance lock file, or null when only the in-process lock is used.</summary>
    public string? LockFilePath => _lockFilePath;

    public async ValueTask<Releaser> AcquireAsync(CancellationToken cancellationToken)
    {
        if (!_enabled)
        {
            return default;
        }

        await _local.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_lockFilePath is not null)
            {
                await AcquireFileLockAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            _local.Release();
            throw;
        }

        return new Releaser(this);
    }

    private async Task AcquireFileLockAsync(CancellationToken cancellationToken)
    {
        if (_lockFd < 0)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_lockFilePath)!);

            // A raw descriptor: a FileStream would take a lock of its own. flock interoperates with other processes
            // (and with drivers written in Go, which lock the same file the same way).
            _lockFd = open(_lockFilePath!, O_RDWR | O_CREAT | O_CLOEXEC, 0x1A4 /* 0644 */);
            if (_lockFd < 0)
            {
                throw new IOException($"Cannot open {_lockFilePath}: errno {Marshal.GetLastPInvokeError()}.");
            }
        }

        int fd = _lockFd;
        var delay = TimeSpan.FromMilliseconds(1);
        while (true)
        {
            if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            {
                return;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno != EWOULDBLOCK && errno != EINTR)
            {
                throw new IOException($"Cannot lock {_lockFilePath}: flock failed with errno {errno}.");
            }

            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 50));
        }
    }

    private void Release()
    {
        if (_lockFd >= 0)
        {
            _ = flock(_lockFd, LOCK_UN);
        }

        _local.Release();
    }

    public void Dispose()
    {
        if (_lockFd >= 0)
        {
            _ = close(_lockFd);
            _lockFd = -1;
        }

        _local.Dispose();
    }

    internal readonly struct Releaser(CallSerializer? owner) : IDisposable
    {
        public void Dispose() => owner?.Release();
    }

    private const int LOCK_EX = 2;
    private const int LOCK_NB = 4;
    private const int LOCK_UN = 8;
    private const int EWOULDBLOCK = 11;
    private const int EINTR = 4;

    private const int O_RDWR = 2;
    private const int O_CREAT = 0x40;
    private const int O_CLOEXEC = 0x80000;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int flock(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
