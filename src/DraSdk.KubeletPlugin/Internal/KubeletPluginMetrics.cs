using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DraSdk.KubeletPlugin.Internal;

/// <summary>Metrics of the kubelet plugin, on the meter <c>DraSdk.KubeletPlugin</c>.</summary>
internal sealed class KubeletPluginMetrics
{
    public const string MeterName = "DraSdk.KubeletPlugin";

    private readonly Counter<long> _calls;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _claims;
    private readonly Counter<long> _registrationReports;
    private readonly Counter<long> _claimFetchErrors;

    public KubeletPluginMetrics(IMeterFactory meterFactory, KubeletRegistration registration)
    {
        Meter meter = meterFactory.Create(MeterName);
        meter.CreateObservableGauge(
            "drasdk.kubelet_plugin.registered",
            () => registration.IsRegistered ? 1 : 0,
            "{registration}",
            "1 while the kubelet has the driver registered, 0 before it registered it or after it refused it.");
        _registrationReports = meter.CreateCounter<long>(
            "drasdk.kubelet_plugin.registration.reports",
            "{report}",
            "Registration statuses the kubelet reported, by result (registered, refused, or ignored: not after GetInfo on the same connection).");
        _calls = meter.CreateCounter<long>("drasdk.kubelet_plugin.calls", "{call}", "gRPC calls from the kubelet, by method and status code.");
        _duration = meter.CreateHistogram<double>("drasdk.kubelet_plugin.call.duration", "s", "Duration of gRPC calls from the kubelet.");
        _claims = meter.CreateCounter<long>("drasdk.kubelet_plugin.claims", "{claim}", "Claims prepared or unprepared, by operation and result.");
        _claimFetchErrors = meter.CreateCounter<long>(
            "drasdk.kubelet_plugin.claim_fetch.errors",
            "{error}",
            "Failed reads of a ResourceClaim from the API server, by error.type (not_found, forbidden, unauthorized, api, unreachable, timeout).");
    }

    public void RecordCall(string method, string status, TimeSpan elapsed)
    {
        var tags = new TagList { { "rpc.method", method }, { "rpc.grpc.status_code", status } };
        _calls.Add(1, tags);
        _duration.Record(elapsed.TotalSeconds, tags);
    }

    public void RecordRegistrationReport(string result) => _registrationReports.Add(1, new TagList { { "result", result } });

    public void RecordClaimFetchError(string type) => _claimFetchErrors.Add(1, new TagList { { "error.type", type } });

    public void RecordClaim(string operation, bool succeeded) =>
        _claims.Add(1, new TagList { { "operation", operation }, { "result", succeeded ? "success" : "error" } });
}
