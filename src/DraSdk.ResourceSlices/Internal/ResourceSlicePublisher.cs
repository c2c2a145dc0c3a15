using System.Net;
using DraSdk.KubeletPlugin;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DraSdk.ResourceSlices.Internal;

/// <summary>
/// The hosted service behind <see cref="IResourceSlicePublisher"/>: node-local pools, owned by the Node. In a host with the
/// kubelet plugin (<c>AddDraDriver</c>), it publishes only while the kubelet has the driver registered: devices the
/// kubelet cannot prepare are never advertised, and the slices are withdrawn when the kubelet refuses the driver.
/// </summary>
internal sealed class ResourceSlicePublisher : BackgroundService, IResourceSlicePublisher
{
    private readonly PublisherEngine _engine;
    private readonly KubeletRegistration? _registration;
    private readonly ILogger _logger;
    private readonly ResourceSliceMetrics _metrics;
    private readonly IKubernetes _client;
    private V1OwnerReference? _owner;

    public ResourceSlicePublisher(
        IKubernetes client,
        IOptions<DraDriverOptions> driverOptions,
        IOptions<ResourceSlicePublisherOptions> options,
        DriverErrorReporter errors,
        TimeProvider time,
        ILogger<ResourceSlicePublisher> logger,
        IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(driverOptions);
        ArgumentNullException.ThrowIfNull(options);
        DraDriverOptions driver = driverOptions.Value;
        if (string.IsNullOrEmpty(driver.NodeName))
        {
            throw new InvalidOperationException(NodeNameRequiredValidator.Message);
        }

        if (string.IsNullOrEmpty(driver.DriverName))
        {
            throw new InvalidOperationException("DriverName is required to publish ResourceSlices (set DRIVER_NAME or DriverName in AddDraDriver).");
        }

        _client = client;
        _logger = logger;
        _registration = services.GetService(typeof(KubeletRegistration)) as KubeletRegistration;
        NodeName = driver.NodeName;
        _metrics = new ResourceSliceMetrics(services.GetService(typeof(System.Diagnostics.Metrics.IMeterFactory)) as System.Diagnostics.Metrics.IMeterFactory);
        _engine = new PublisherEngine(client, new PublisherScope(driver.DriverName, driver.NodeName), options.Value, GetOwnerAsync, errors, time, logger, _metrics);
    }

    public string NodeName { get; }

    public ResourceSlicePublisherStatus Status => _engine.Status;

    public void Update(DriverResources resources) => _ = _engine.Enqueue(resources);

    public Task PublishAsync(DriverResources resources, CancellationToken cancellationToken = default) =>
        _engine.WaitAsync(_engine.Enqueue(resources), cancellationToken);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // The slices stay: the next instance of the driver adopts them, and the node's deletion removes them.
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
            if (_registration is null)
            {
                await _engine.RunAsync(stoppingToken).ConfigureAwait(false);
                return;
            }

            while (!stoppingToken.IsCancellationRequested)
            {
                if (!_registration.IsRegistered)
                {
                    Log.WaitingForRegistration(_logger, _engine.Scope.DriverName);
                    await _registration.WaitForRegistrationAsync(stoppingToken).ConfigureAwait(false);
                    Log.Registered(_logger, _engine.Scope.DriverName);
                }

                await PublishWhileRegisteredAsync(_registration, stoppingToken).ConfigureAwait(false);
                if (stoppingToken.IsCancellationRequested)
                {
                    break;
                }

                // The kubelet refused the driver: it will fail every prepare, so the devices must not attract pods.
                KubeletRegistrationStatus status = _registration.Status;
                Log.Withdrawing(_logger, _engine.Scope.DriverName, status.LastError ?? status.State.ToString());
                using var untilRegistered = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                _ = _registration.WaitForRegistrationAsync(untilRegistered.Token).ContinueWith(
                    _ => CancelQuietly(untilRegistered), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
                try
                {
                    await _engine.WithdrawAsync("the kubelet refused the driver's registration", untilRegistered.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    // Registered again before the withdrawal finished: publish again.
                }
                finally
                {
                    await untilRegistered.CancelAsync().ConfigureAwait(false);
                }
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

    /// <summary>Runs the engine until the registration is lost or the host stops.</summary>
    private async Task PublishWhileRegisteredAsync(KubeletRegistration registration, CancellationToken stoppingToken)
    {
        using var lost = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        void OnChanged(object? sender, KubeletRegistrationStatus status)
        {
            if (status.State != KubeletRegistrationState.Registered)
            {
                // Not inline: this runs on the registration service's call.
                CancelQuietly(lost);
            }
        }

        registration.Changed += OnChanged;
        try
        {
            if (registration.IsRegistered)
            {
                await _engine.RunAsync(lost.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (lost.IsCancellationRequested)
        {
        }
        finally
        {
            registration.Changed -= OnChanged;
        }
    }

    /// <summary>Cancels without running the callbacks inline, and without failing when the source is already gone.</summary>
    private static void CancelQuietly(CancellationTokenSource source)
    {
        try
        {
            _ = source.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>The Node as owner, read once for its uid.</summary>
    private async Task<V1OwnerReference?> GetOwnerAsync(CancellationToken cancellationToken)
    {
        if (_owner is not null)
        {
            return _owner;
        }

        V1Node node;
        try
        {
            node = await _client.CoreV1.ReadNodeAsync(NodeName, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException ex) when (ApiErrors.IsStatus(ex, HttpStatusCode.NotFound))
        {
            throw new InvalidOperationException(
                $"Node '{NodeName}' was not found; ResourceSlices are owned by the node, so they can only be published once it exists. Check NODE_NAME.",
                ex);
        }

        if (string.IsNullOrEmpty(node.Metadata?.Uid))
        {
            throw new InvalidOperationException($"Node '{NodeName}' has no metadata.uid.");
        }

        _owner = new V1OwnerReference { ApiVersion = "v1", Kind = "Node", Name = NodeName, Uid = node.Metadata.Uid, Controller = true };
        return _owner;
    }
}
