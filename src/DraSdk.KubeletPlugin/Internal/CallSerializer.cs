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
    private FileStream? _lockFile;

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
        if (_lockFile is null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_lockFilePath)!);

            // FileShare.ReadWrite: .NET takes no lock of its own; we flock explicitly, which interoperates with other processes.
            _lockFile = new FileStream(_lockFilePath!, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        }

        int fd = (int)_lockFile.SafeFileHandle.DangerousGetHandle();
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
        if (_lockFile is not null)
        {
            _ = flock((int)_lockFile.SafeFileHandle.DangerousGetHandle(), LOCK_UN);
        }

        _local.Release();
    }

    public void Dispose()
    {
        _lockFile?.Dispose();
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

    [LibraryImport("libc", SetLastError = true)]
    private static partial int flock(int fd, int operation);
}
