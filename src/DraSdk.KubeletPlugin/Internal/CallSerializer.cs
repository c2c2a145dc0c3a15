using DraSdk.Internal;
using Microsoft.Extensions.Options;

namespace DraSdk.KubeletPlugin.Internal;

/// <summary>
/// Runs prepare and unprepare one at a time: an in-process lock, plus an exclusive flock on
/// <c>serialize.lock</c> when several instances of the driver may run at once (rolling update). The flock interoperates
/// with other processes, and with drivers written in Go, which lock the same file the same way.
/// </summary>
internal sealed class CallSerializer : IDisposable
{
    private readonly SemaphoreSlim _local = new(1, 1);
    private readonly bool _enabled;
    private readonly FileLock? _fileLock;

    public CallSerializer(IOptions<DraDriverOptions> options)
    {
        DraDriverOptions o = options.Value;
        _enabled = o.SerializeCalls;
        if (_enabled && (!string.IsNullOrEmpty(o.PodUid) || o.LockDirectoryPath is not null))
        {
            _fileLock = new FileLock(
                Path.Combine(o.LockDirectoryPath ?? o.EffectivePluginDataDirectoryPath, "serialize.lock"),
                UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
    }

    /// <summary>The cross-instance lock file, or null when only the in-process lock is used.</summary>
    public string? LockFilePath => _fileLock?.Path;

    public async ValueTask<Releaser> AcquireAsync(CancellationToken cancellationToken)
    {
        if (!_enabled)
        {
            return default;
        }

        await _local.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_fileLock is not null)
            {
                var delay = TimeSpan.FromMilliseconds(1);
                while (_fileLock.TryAcquire() is var state && state != FileLockState.Acquired)
                {
                    if (state == FileLockState.Failed)
                    {
                        throw new IOException(_fileLock.Failure);
                    }

                    await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                    delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 50));
                }
            }
        }
        catch
        {
            _local.Release();
            throw;
        }

        return new Releaser(this);
    }

    public void Dispose()
    {
        _fileLock?.Dispose();
        _local.Dispose();
    }

    private void Release()
    {
        _fileLock?.Release();
        _local.Release();
    }

    internal readonly struct Releaser(CallSerializer? owner) : IDisposable
    {
        public void Dispose() => owner?.Release();
    }
}
