using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OiCall.Web.Features.Telephony;

/// <summary>
/// What the control plane measures of the edge's questions (dotnet-counters, OpenTelemetry or a
/// MeterListener can read it): how long an authorization took here, from the question read off the
/// edge's socket to its answer queued for writing. Beside the edge's own suspend → answer timing
/// it tells the control plane's share of a call's setup from the transport's and the edge's.
/// </summary>
public sealed class TelephonyMetrics
{
    public const string MeterName = "OiCall.Telephony";
    public const string AuthorizationDuration = "oicall.edge.authorization.duration";

    private readonly Histogram<double> _authorization;

    public TelephonyMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _authorization = meter.CreateHistogram<double>(AuthorizationDuration, unit: "ms",
            description: "Time the control plane took to answer one of the edge's authorization questions.");
    }

    public void Authorized(long startedTimestamp, int code) =>
        _authorization.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalMilliseconds, new KeyValuePair<string, object?>("sip.code", code));
}
