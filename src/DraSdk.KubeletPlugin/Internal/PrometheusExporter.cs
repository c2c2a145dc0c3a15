using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace DraSdk.KubeletPlugin.Internal;

/// <summary>
/// Collects the measurements of chosen meters with a <see cref="MeterListener"/> and writes them in the Prometheus text
/// exposition format (0.0.4): names with every character but letters, digits and <c>_</c> as <c>_</c>, the unit as a
/// suffix (<c>s</c>: <c>_seconds</c>, <c>By</c>: <c>_bytes</c>, <c>{call}</c>-style annotations dropped), counters with
/// <c>_total</c>, histograms as cumulative <c>_bucket{le=...}</c>, <c>_sum</c> and <c>_count</c>, label values escaped.
/// Counters and histograms are cumulative since the exporter started; up-down counters are their running sum, observable
/// instruments are observed at each scrape.
/// </summary>
internal sealed class PrometheusExporter : IDisposable
{
    /// <summary>The default bucket bounds of a histogram in seconds (Prometheus' client defaults).</summary>
    internal static readonly double[] SecondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>The default bucket bounds of other histograms (OpenTelemetry's defaults).</summary>
    internal static readonly double[] DefaultBuckets = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    private readonly MeterListener _listener = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<Instrument, InstrumentState> _instruments = [];

    /// <param name="include">Whether to export a meter (called once per instrument as it is published).</param>
    public PrometheusExporter(Func<Meter, bool> include)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (include(instrument.Meter))
            {
                lock (_gate)
                {
                    _instruments[instrument] = new InstrumentState(instrument);
                }

                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.MeasurementsCompleted = (instrument, _) =>
        {
            lock (_gate)
            {
                _instruments.Remove(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<short>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<byte>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<float>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<decimal>((i, v, tags, _) => Record(i, (double)v, tags));
        _listener.Start();
    }

    /// <summary>The metrics now, in the text format.</summary>
    public string Scrape()
    {
        _listener.RecordObservableInstruments();
        var families = new SortedDictionary<string, (InstrumentState State, List<InstrumentState> All)>(StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (InstrumentState state in _instruments.Values)
            {
                if (!state.HasSeries)
                {
                    continue; // nothing recorded yet: no family without samples
                }

                string name = state.MetricName;
                if (families.TryGetValue(name, out var family))
                {
                    family.All.Add(state);
                }
                else
                {
                    families[name] = (state, [state]);
                }
            }

            var text = new StringBuilder();
            foreach ((string name, (InstrumentState first, List<InstrumentState> all)) in families)
            {
                if (first.Instrument.Description is { Length: > 0 } help)
                {
                    text.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(help)).Append('\n');
                }

                text.Append("# TYPE ").Append(name).Append(' ').Append(first.Type).Append('\n');
                foreach (InstrumentState state in all)
                {
                    state.Write(text, name);
                }
            }

            return text.ToString();
        }
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        lock (_gate)
        {
            if (_instruments.TryGetValue(instrument, out InstrumentState? state))
            {
                state.Record(value, tags);
            }
        }
    }

    /// <summary>A name with every character outside <c>[a-zA-Z0-9_:]</c> (<c>[a-zA-Z0-9_]</c> for labels) as <c>_</c>, not starting with a digit.</summary>
    internal static string Sanitize(string name, bool label)
    {
        var text = new StringBuilder(name.Length + 1);
        foreach (char c in name)
        {
            text.Append(char.IsAsciiLetterOrDigit(c) || c == '_' || (c == ':' && !label) ? c : '_');
        }

        if (text.Length == 0 || char.IsAsciiDigit(text[0]))
        {
            text.Insert(0, '_');
        }

        return text.ToString();
    }

    /// <summary>The unit as a Prometheus name suffix, or null for none (dimensionless or an annotation such as <c>{call}</c>).</summary>
    internal static string? UnitSuffix(string? unit) => unit switch
    {
        null or "" or "1" => null,
        ['{', .., '}'] => null,
        "s" => "seconds",
        "ms" => "milliseconds",
        "us" => "microseconds",
        "ns" => "nanoseconds",
        "min" => "minutes",
        "h" => "hours",
        "By" => "bytes",
        "KiBy" => "kibibytes",
        "MiBy" => "mebibytes",
        "GiBy" => "gibibytes",
        "%" => "percent",
        _ => Sanitize(unit, label: true).Trim('_') is { Length: > 0 } s ? s : null,
    };

    internal static string EscapeLabelValue(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string EscapeHelp(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    internal static string FormatValue(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private enum Kind
    {
        Counter,
        Gauge,
        Histogram,
    }

    private sealed class InstrumentState
    {
        private readonly Dictionary<string, Series> _series = new(StringComparer.Ordinal);
        private readonly Kind _kind;
        private readonly bool _observedTotal;
        private readonly double[] _bounds;

        public InstrumentState(Instrument instrument)
        {
            Instrument = instrument;
            Type genericType = instrument.GetType().IsGenericType ? instrument.GetType().GetGenericTypeDefinition() : instrument.GetType();
            (_kind, _observedTotal) = instrument switch
            {
                _ when genericType == typeof(Counter<>) => (Kind.Counter, false),
                _ when genericType == typeof(ObservableCounter<>) => (Kind.Counter, true),
                _ when genericType == typeof(Histogram<>) => (Kind.Histogram, false),
                _ when genericType == typeof(UpDownCounter<>) => (Kind.Gauge, false),
                _ => (Kind.Gauge, true), // observable gauges and up-down counters, Gauge<T>: the last value
            };
            _bounds = Bounds(instrument);
            string name = Sanitize(instrument.Name, label: false);
            if (UnitSuffix(instrument.Unit) is { } suffix && !name.EndsWith("_" + suffix, StringComparison.Ordinal))
            {
                name += "_" + suffix;
            }

            if (_kind == Kind.Counter && !name.EndsWith("_total", StringComparison.Ordinal))
            {
                name += "_total";
            }

            MetricName = name;
        }

        public Instrument Instrument { get; }

        public bool HasSeries => _series.Count > 0;

        public string MetricName { get; }

        public string Type => _kind switch
        {
            Kind.Counter => "counter",
            Kind.Histogram => "histogram",
            _ => "gauge",
        };

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string labels = Labels(tags);
            if (!_series.TryGetValue(labels, out Series? series))
            {
                series = new Series(_bounds.Length);
                _series[labels] = series;
            }

            switch (_kind)
            {
                case Kind.Histogram:
                    int bucket = 0;
                    while (bucket < _bounds.Length && value > _bounds[bucket])
                    {
                        bucket++;
                    }

                    series.Buckets![bucket]++;
                    series.Count++;
                    series.Value += value;
                    break;
                case Kind.Counter or Kind.Gauge when _observedTotal:
                    series.Value = value;
                    break;
                default:
                    series.Value += value;
                    break;
            }
        }

        public void Write(StringBuilder text, string name)
        {
            foreach ((string labels, Series series) in _series.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                if (_kind != Kind.Histogram)
                {
                    Sample(text, name, labels, series.Value);
                    continue;
                }

                long cumulative = 0;
                for (int i = 0; i <= _bounds.Length; i++)
                {
                    cumulative += series.Buckets![i];
                    string le = $"le=\"{(i < _bounds.Length ? FormatValue(_bounds[i]) : "+Inf")}\"";
                    Sample(text, name + "_bucket", labels.Length == 0 ? le : labels + "," + le, cumulative);
                }

                Sample(text, name + "_sum", labels, series.Value);
                Sample(text, name + "_count", labels, series.Count);
            }
        }

        private static void Sample(StringBuilder text, string name, string labels, double value)
        {
            text.Append(name);
            if (labels.Length > 0)
            {
                text.Append('{').Append(labels).Append('}');
            }

            text.Append(' ').Append(FormatValue(value)).Append('\n');
        }

        private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length == 0)
            {
                return string.Empty;
            }

            var pairs = new List<(string Name, string Value)>(tags.Length);
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                string value = tag.Value switch
                {
                    null => string.Empty,
                    bool b => b ? "true" : "false",
                    IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                    object o => o.ToString() ?? string.Empty,
                };
                pairs.Add((Sanitize(tag.Key, label: true), value));
            }

            pairs.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            return string.Join(',', pairs.Select(p => $"{p.Name}=\"{EscapeLabelValue(p.Value)}\""));
        }

        private static double[] Bounds(Instrument instrument)
        {
            IReadOnlyList<double>? advised = instrument switch
            {
                Histogram<double> h => h.Advice?.HistogramBucketBoundaries,
                Histogram<long> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
                Histogram<int> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
                _ => null,
            };
            return advised is { Count: > 0 } ? [.. advised] : instrument.Unit == "s" ? SecondsBuckets : DefaultBuckets;
        }
    }

    private sealed class Series(int bounds)
    {
        public long[]? Buckets { get; } = new long[bounds + 1];

        public double Value { get; set; }

        public long Count { get; set; }
    }
}
