namespace DraSdk.KubeletPlugin;

/// <summary>
/// Work a driver does once at start, before the kubelet can reach it: loading its checkpoint, undoing prepares a
/// kill interrupted, re-creating what a reboot wiped. It runs under the same lock as prepare and unprepare, so during a
/// rolling update it never races with the other instance's calls. Implement it on the driver class, or register
/// implementations as singletons; they run in registration order, and an exception stops the host.
/// </summary>
public interface IDraDriverStartup
{
    /// <summary>Runs once before the sockets are served.</summary>
    /// <param name="cancellationToken">Cancelled when the host stops starting.</param>
    Task StartAsync(CancellationToken cancellationToken);
}
