using System.Diagnostics.Metrics;
using DraSdk.KubeletPlugin;
using DraSdk.ResourceSlices.Internal.LeaderElection;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DraSdk.ResourceSlices.Internal;

/// <summary>The hosted service behind <see cref="INetworkResourceSlicePublisher"/>: network-attached pools, published by the Lease's leader.</summary>
internal sealed class NetworkResourceSlicePublisher : BackgroundService, INetworkResourceSlicePublisher
{
    private readonly PublisherEngine _engine;
    private readonly ResourceSliceMetrics _metrics;
    private readonly LeaseLeaderElector? _elector;

    public NetworkResourceSlicePublisher(
        IKubernetes client,
        IOptions<NetworkResourceSlicePublisherOptions> options,
        DriverErrorReporter errors,
        TimeProvider time,
        ILogger<NetworkResourceSlicePublisher> logger,
        IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(options);
        NetworkResourceSlicePublisherOptions o = options.Value;
        string driver = o.DriverName ?? throw new InvalidOperationException("NetworkResourceSlicePublisherOptions.DriverName is required.");
        V1OwnerReference? owner = o.Owner is null ? null : o.Owner with { Controller = true };
        _metrics = new ResourceSliceMetrics(services.GetService(typeof(IMeterFactory)) as IMeterFactory);
        _engine = new PublisherEngine(client, new PublisherScope(driver, null), o, _ => Task.FromResult(owner), errors, time, logger, _metrics);
        if (o.LeaderElection)
        {
            string name = o.LeaseName ?? SliceNames.GenerateName(0, driver, null)[6..] + "resourceslices";
            string ns = o.LeaseNamespace ?? Environment.GetEnvironmentVariable("POD_NAMESPACE") ?? "default";
            string identity = o.Identity ?? $"{Environment.GetEnvironmentVariable("POD_NAME") ?? Environment.MachineName}_{Guid.NewGuid():N}";
            _elector = new LeaseLeaderElector(client, new LeaseSettings(ns, name, identity, o.LeaseDuration, o.RenewDeadline, o.RetryPeriod), time, logger);
        }
    }

    public string DriverName => _engine.Scope.DriverName;

    public bool IsLeader => _elector?.IsLeader ?? true;

    public ResourceSlicePublisherStatus Status => _engine.Status;

    public void Update(DriverResources resources) => _ = _engine.Enqueue(resources);

    public Task PublishAsync(DriverResources resources, CancellationToken cancellationToken = default) =>
        _engine.WaitAsync(_engine.Enqueue(resources), cancellationToken);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        _engine.Stop();
    }

    public override void Dispose()
    {
        _engine.Stop();
        _metrics.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            if (_elector is null)
            {
                await _engine.RunAsync(stoppingToken).ConfigureAwait(false);
            }
            else
            {
                await _elector.RunAsync(_engine.RunAsync, DriverName, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _engine.Stop();
        }
    }
}
