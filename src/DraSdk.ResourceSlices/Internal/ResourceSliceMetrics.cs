using System.Diagnostics.Metrics;

namespace DraSdk.ResourceSlices.Internal;

/// <summary>
/// The publisher's metrics, on the meter <c>DraSdk.ResourceSlices</c>: slices created, updated and deleted, errors
/// by kind, and the duration of each pool sync. Every measurement carries the driver name as <c>dra.driver</c>.
/// </summary>
internal sealed class ResourceSliceMetrics : IDisposable
{
    public const string MeterName = "DraSdk.ResourceSlices";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _created;
    private readonly Counter<long> _updated;
    private readonly Counter<long> _deleted;
    private readonly Counter<long> _errors;
    private readonly Histogram<double> _syncDuration;

    public ResourceSliceMetrics(IMeterFactory? factory)
    {
        _ownsMeter = factory is null;
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _created = _meter.CreateCounter<long>("drasdk.resourceslice.created", "{slice}", "ResourceSlices created.");
        _updated = _meter.CreateCounter<long>("drasdk.resourceslice.updated", "{slice}", "ResourceSlices updated.");
        _deleted = _meter.CreateCounter<long>("drasdk.resourceslice.deleted", "{slice}", "ResourceSlices deleted.");
        _errors = _meter.CreateCounter<long>("drasdk.resourceslice.errors", "{error}", "Errors while publishing ResourceSlices, by error.type (sync, watch, dropped_fields).");
        _syncDuration = _meter.CreateHistogram<double>("drasdk.resourceslice.sync.duration", "s", "Duration of one pool sync, by result (success, failure).");
    }

    public void Created(string driver) => _created.Add(1, new KeyValuePair<string, object?>("dra.driver", driver));

    public void Updated(string driver) => _updated.Add(1, new KeyValuePair<string, object?>("dra.driver", driver));

    public void Deleted(string driver) => _deleted.Add(1, new KeyValuePair<string, object?>("dra.driver", driver));

    public void Error(string driver, string type) =>
        _errors.Add(1, new KeyValuePair<string, object?>("dra.driver", driver), new KeyValuePair<string, object?>("error.type", type));

    public void Synced(string driver, TimeSpan duration, bool success) =>
        _syncDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("dra.driver", driver), new KeyValuePair<string, object?>("result", success ? "success" : "failure"));

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
